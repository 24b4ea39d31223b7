// llama plugin: shapes, KV cache vs full forward, padding, HF import against an
// independent reference computation, Qwen2 bias, tied embeddings, errors.
#include <fstream>
#include <set>

#include "jstip/safetensors.h"
#include "llama_model.h"
#include "model_test_util.h"

using jstip::KVCache;
using jstip::llama::kLlamaOptions;
using jstip::llama::LlamaModel;
using jstip::testing::expect_error_containing;
using jstip::testing::make_config;
using jstip::testing::max_abs_diff;
using jstip::testing::TempDir;

namespace {

std::map<std::string, std::string> tiny_options(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> o = {{"vocab_size", "37"},        {"hidden_size", "16"}, {"intermediate_size", "24"},
                                          {"num_layers", "2"},         {"num_heads", "4"},    {"num_key_value_heads", "2"},
                                          {"rope_theta", "10000.0"}, {"rms_norm_eps", "1e-6"}};
  for (auto& [k, v] : extra) o[k] = v;
  return o;
}

std::shared_ptr<LlamaModel> tiny_llama(std::map<std::string, std::string> extra = {}) {
  return std::make_shared<LlamaModel>(make_config(kLlamaOptions, tiny_options(std::move(extra))));
}

torch::Tensor logits_of(LlamaModel& model, const torch::Tensor& tokens) {
  int64_t b = tokens.size(0), t = tokens.size(1);
  auto positions = torch::arange(t).unsqueeze(0).expand({b, t});
  return model.forward_embeddings(model.embed(tokens), torch::ones({b, t}, torch::kBool), positions, nullptr).logits;
}

// ---- An independent Llama forward over a raw tensor map (one sequence, no padding).
torch::Tensor rms(const torch::Tensor& x, const torch::Tensor& w, double eps) {
  return x / torch::sqrt(x.pow(2).mean(-1, true) + eps) * w;
}

// Plain RoPE frequencies theta^(-2i/d), one per channel pair.
std::vector<double> plain_freqs(int64_t d, double theta = 10000.0) {
  std::vector<double> f;
  for (int64_t i = 0; i < d / 2; ++i) f.push_back(std::pow(theta, -2.0 * i / d));
  return f;
}

// Rotation as complex multiplication: (x1 + i x2) * e^{i t f}.
torch::Tensor rope_complex(const torch::Tensor& x, const std::vector<double>& freq_list) {  // x [T, H, D]
  int64_t t = x.size(0), half = x.size(2) / 2;
  auto freqs = torch::tensor(freq_list, torch::kFloat64);
  auto angle = torch::outer(torch::arange(t, torch::kFloat64), freqs).unsqueeze(1);  // [T, 1, D/2]
  auto z = torch::complex(x.narrow(-1, 0, half).to(torch::kFloat64), x.narrow(-1, half, half).to(torch::kFloat64));
  auto r = z * torch::polar(torch::ones_like(angle), angle);
  return torch::cat({torch::real(r), torch::imag(r)}, -1).to(torch::kFloat32);
}

torch::Tensor reference_llama(const std::map<std::string, torch::Tensor>& weights, const torch::Tensor& tokens,
                              int64_t layers, int64_t heads, int64_t kv_heads, bool tied, bool bias,
                              std::vector<double> freqs = {}) {
  auto W = [&](const std::string& n) { return weights.at(n).to(torch::kFloat32); };
  auto x = W("model.embed_tokens.weight").index_select(0, tokens);
  int64_t t = x.size(0), hidden = x.size(1), hd = hidden / heads;
  if (freqs.empty()) freqs = plain_freqs(hd);
  auto causal = torch::ones({t, t}).tril().to(torch::kBool);
  for (int64_t l = 0; l < layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    auto h = rms(x, W(p + "input_layernorm.weight"), 1e-6);
    auto proj = [&](const std::string& n) {
      auto y = h.mm(W(p + "self_attn." + n + ".weight").t());
      return bias ? y + W(p + "self_attn." + n + ".bias") : y;
    };
    auto q = rope_complex(proj("q_proj").view({t, heads, hd}), freqs);
    auto k = rope_complex(proj("k_proj").view({t, kv_heads, hd}), freqs);
    auto v = proj("v_proj").view({t, kv_heads, hd});
    std::vector<torch::Tensor> outs;
    for (int64_t head = 0; head < heads; ++head) {
      int64_t g = head / (heads / kv_heads);
      auto s = q.select(1, head).mm(k.select(1, g).t()) / std::sqrt(static_cast<double>(hd));
      s = s.masked_fill(causal.logical_not(), -1e30);
      outs.push_back(torch::softmax(s, -1).mm(v.select(1, g)));
    }
    x = x + torch::cat(outs, 1).mm(W(p + "self_attn.o_proj.weight").t());
    auto h2 = rms(x, W(p + "post_attention_layernorm.weight"), 1e-6);
    auto gate = h2.mm(W(p + "mlp.gate_proj.weight").t());
    auto up = h2.mm(W(p + "mlp.up_proj.weight").t());
    x = x + (torch::silu(gate) * up).mm(W(p + "mlp.down_proj.weight").t());
  }
  x = rms(x, W("model.norm.weight"), 1e-6);
  return x.mm((tied ? W("model.embed_tokens.weight") : W("lm_head.weight")).t());
}

// Writes a tiny HF checkpoint by hand (config.json text + safetensors of `dtype`).
std::map<std::string, torch::Tensor> write_hf_llama(const std::string& dir, torch::Dtype dtype, bool qwen2, bool tied,
                                                    const std::string& extra_json = "") {
  const int64_t v = 37, h = 16, ffn = 24, layers = 2, heads = 4, kv = 2, hd = 4;
  std::map<std::string, torch::Tensor> w;
  auto r = [&](std::vector<int64_t> shape, double scale = 0.3) { return (torch::randn(shape) * scale).to(dtype); };
  w["model.embed_tokens.weight"] = r({v, h}, 1.0);
  w["model.norm.weight"] = (1 + r({h}, 0.1).to(torch::kFloat32)).to(dtype);
  if (!tied) w["lm_head.weight"] = r({v, h});
  for (int l = 0; l < layers; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    w[p + "input_layernorm.weight"] = (1 + r({h}, 0.1).to(torch::kFloat32)).to(dtype);
    w[p + "post_attention_layernorm.weight"] = (1 + r({h}, 0.1).to(torch::kFloat32)).to(dtype);
    w[p + "self_attn.q_proj.weight"] = r({heads * hd, h});
    w[p + "self_attn.k_proj.weight"] = r({kv * hd, h});
    w[p + "self_attn.v_proj.weight"] = r({kv * hd, h});
    w[p + "self_attn.o_proj.weight"] = r({h, heads * hd});
    if (qwen2) {
      w[p + "self_attn.q_proj.bias"] = r({heads * hd});
      w[p + "self_attn.k_proj.bias"] = r({kv * hd});
      w[p + "self_attn.v_proj.bias"] = r({kv * hd});
    }
    w[p + "mlp.gate_proj.weight"] = r({ffn, h});
    w[p + "mlp.up_proj.weight"] = r({ffn, h});
    w[p + "mlp.down_proj.weight"] = r({h, ffn});
  }
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << "{\"model_type\": \"" << (qwen2 ? "qwen2" : "llama")
                                      << "\", \"vocab_size\": 37, \"hidden_size\": 16, \"intermediate_size\": 24,"
                                         " \"num_hidden_layers\": 2, \"num_attention_heads\": 4,"
                                         " \"num_key_value_heads\": 2, \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-06,"
                                         " \"tie_word_embeddings\": "
                                      << (tied ? "true" : "false") << ", \"torch_dtype\": \"float32\"" << extra_json << "}";
  jstip::safetensors::save_file(dir + "/model.safetensors", w);
  return w;
}

}  // namespace

TEST(Llama, ForwardShapesAndParameterNamesAreHf) {
  auto model = tiny_llama();
  auto logits = logits_of(*model, torch::randint(37, {2, 5}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{2, 5, 37}));
  auto params = model->named_parameters();
  EXPECT_TRUE(params.contains("model.layers.1.self_attn.q_proj.weight"));
  EXPECT_TRUE(params.contains("model.layers.0.mlp.gate_proj.weight"));
  EXPECT_TRUE(params.contains("model.norm.weight"));
  EXPECT_TRUE(params.contains("lm_head.weight"));
  EXPECT_EQ(params["model.layers.0.self_attn.k_proj.weight"].sizes(), (std::vector<int64_t>{8, 16}));  // GQA
}

// Parameter names are what checkpoints, exports and LoRA targets refer to: the
// decoder core must build exactly the Hugging Face names, no more, no fewer.
TEST(Llama, ParameterNamesAreExactlyTheHfNames) {
  std::set<std::string> expected = {"model.embed_tokens.weight", "model.norm.weight"};
  for (int l = 0; l < 2; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    for (const char* name : {"input_layernorm.weight", "post_attention_layernorm.weight", "self_attn.q_proj.weight",
                             "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.q_proj.bias",
                             "self_attn.k_proj.bias", "self_attn.v_proj.bias", "self_attn.o_proj.weight",
                             "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"})
      expected.insert(p + name);
  }
  auto model = tiny_llama({{"attention_bias", "true"}, {"tie_word_embeddings", "true"}});
  std::set<std::string> names;
  for (const auto& item : model->named_parameters()) names.insert(item.key());
  EXPECT_EQ(names, expected);
  EXPECT_TRUE(model->named_buffers().is_empty());  // nothing extra lands in checkpoints
}

TEST(Llama, KvCacheDecodingMatchesFullForwardWithLeftPadding) {
  torch::manual_seed(0);
  auto model = tiny_llama({{"attention_bias", "true"}});
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t b = 2, t = 9, prompt = 4;
  auto tokens = torch::randint(37, {b, t});
  // Row 1 is left-padded by 2 (a shorter prompt); positions restart at 0 after the padding.
  auto mask = torch::ones({b, t}, torch::kBool);
  mask.index_put_({1, torch::indexing::Slice(0, 2)}, false);
  auto positions = (mask.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);
  auto full = model->forward_embeddings(model->embed(tokens), mask, positions, nullptr).logits;

  KVCache cache;
  using torch::indexing::Slice;
  auto first = model->forward_embeddings(model->embed(tokens.index({Slice(), Slice(0, prompt)})),
                                         mask.index({Slice(), Slice(0, prompt)}),
                                         positions.index({Slice(), Slice(0, prompt)}), &cache)
                   .logits;
  EXPECT_LT(max_abs_diff(first.index({0}), full.index({0, Slice(0, prompt)})), 1e-4);
  EXPECT_EQ(cache.length(), prompt);
  for (int64_t step = prompt; step < t; ++step) {
    auto out = model->forward_embeddings(model->embed(tokens.index({Slice(), Slice(step, step + 1)})),
                                         mask.index({Slice(), Slice(0, step + 1)}),
                                         positions.index({Slice(), Slice(step, step + 1)}), &cache)
                   .logits;
    EXPECT_LT(max_abs_diff(out.squeeze(1), full.index({Slice(), step})), 1e-4) << "step " << step;
  }
  EXPECT_EQ(cache.keys.size(), 2u);
  EXPECT_EQ(cache.keys[0].sizes(), (std::vector<int64_t>{b, 2, t, 4}));  // kv heads, not repeated
}

// The cache grows inside its buffer, one slice per token; two branches of one
// cache (a copied KVCache, as a search that forks a hypothesis would hold)
// must not write into each other's steps.
TEST(Llama, KvCacheGrowsInPlaceAndCopiedCachesStayApart) {
  torch::manual_seed(4);
  auto model = tiny_llama();
  model->eval();
  torch::NoGradGuard no_grad;
  const int64_t prompt = 4;
  auto a = torch::randint(37, {1, prompt + 3});
  auto b = a.clone();  // the same prompt and first step, then other tokens
  b.narrow(1, prompt + 1, 2).add_(1).remainder_(37);
  const auto full_a = logits_of(*model, a), full_b = logits_of(*model, b);
  auto step = [&](KVCache* cache, const torch::Tensor& tokens, int64_t i) {
    return model
        ->forward_embeddings(model->embed(tokens.narrow(1, i, 1)), torch::ones({1, i + 1}, torch::kBool),
                             torch::full({1, 1}, i, torch::kInt64), cache)
        .logits.squeeze(1);
  };
  KVCache cache;
  model->forward_embeddings(model->embed(a.narrow(1, 0, prompt)), torch::ones({1, prompt}, torch::kBool),
                            torch::arange(prompt).unsqueeze(0), &cache);
  step(&cache, a, prompt);
  const void* buffer = cache.keys[0].data_ptr();

  KVCache branch = cache;  // shares the tensors: neither may grow in place now
  EXPECT_LT(max_abs_diff(step(&branch, b, prompt + 1), full_b.select(1, prompt + 1)), 1e-4);
  EXPECT_NE(branch.keys[0].data_ptr(), buffer);
  EXPECT_LT(max_abs_diff(step(&cache, a, prompt + 1), full_a.select(1, prompt + 1)), 1e-4);
  EXPECT_EQ(cache.keys[0].data_ptr(), buffer) << "an unshared cache with room was copied";
  EXPECT_LT(max_abs_diff(step(&cache, a, prompt + 2), full_a.select(1, prompt + 2)), 1e-4);
  EXPECT_LT(max_abs_diff(step(&branch, b, prompt + 2), full_b.select(1, prompt + 2)), 1e-4);
  EXPECT_EQ(cache.keys[0].data_ptr(), buffer);
  EXPECT_EQ(cache.length(), prompt + 3);
}

TEST(Llama, LeftPaddedRowMatchesTheSameTokensAlone) {
  torch::manual_seed(1);
  auto model = tiny_llama();
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(37, {1, 5});
  auto alone = logits_of(*model, tokens);
  auto padded_tokens = torch::cat({torch::zeros({1, 3}, torch::kInt64), tokens}, 1);
  auto mask = torch::cat({torch::zeros({1, 3}, torch::kBool), torch::ones({1, 5}, torch::kBool)}, 1);
  auto positions = torch::cat({torch::zeros({1, 3}, torch::kInt64), torch::arange(5).unsqueeze(0)}, 1);
  auto padded = model->forward_embeddings(model->embed(padded_tokens), mask, positions, nullptr).logits;
  EXPECT_LT(max_abs_diff(padded.narrow(1, 3, 5), alone), 1e-5);
  EXPECT_FALSE(torch::isnan(padded).any().item<bool>());
}

class LlamaImport : public ::testing::TestWithParam<torch::Dtype> {};

TEST_P(LlamaImport, HfCheckpointForwardMatchesIndependentComputation) {
  torch::manual_seed(2);
  TempDir dir;
  auto weights = write_hf_llama(dir.str(), GetParam(), /*qwen2=*/false, /*tied=*/false);
  auto model = std::make_shared<LlamaModel>(make_config(kLlamaOptions, {{"pretrained", dir.str()}}));
  EXPECT_EQ(model->hidden_size(), 16);
  EXPECT_EQ(model->config().num_kv_heads, 2);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(37, {6});
  auto ours = logits_of(*model, tokens.unsqueeze(0)).squeeze(0);
  auto expected = reference_llama(weights, tokens, 2, 4, 2, false, false);
  EXPECT_LT(max_abs_diff(ours, expected), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, LlamaImport, ::testing::Values(torch::kFloat32, torch::kFloat16, torch::kBFloat16));

TEST(Llama, Qwen2ConfigImpliesQkvBiasAndTiedEmbeddingsWork) {
  torch::manual_seed(3);
  TempDir dir;
  auto weights = write_hf_llama(dir.str(), torch::kFloat32, /*qwen2=*/true, /*tied=*/true);
  auto model = std::make_shared<LlamaModel>(make_config(kLlamaOptions, {{"pretrained", dir.str()}}));
  EXPECT_TRUE(model->config().attention_bias);
  EXPECT_FALSE(model->named_parameters().contains("lm_head.weight"));
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(37, {5});
  auto ours = logits_of(*model, tokens.unsqueeze(0)).squeeze(0);
  EXPECT_LT(max_abs_diff(ours, reference_llama(weights, tokens, 2, 4, 2, true, true)), 1e-4);
}

TEST(Llama, SavePretrainedRoundTrip) {
  torch::manual_seed(4);
  TempDir dir;
  auto model = tiny_llama({{"model_type", "qwen2"}, {"attention_bias", "true"}, {"tie_word_embeddings", "true"}});
  model->save_pretrained(dir.str());
  auto header = jstip::safetensors::read_header(dir.file("model.safetensors"));
  EXPECT_TRUE(header.tensors.count("model.layers.0.self_attn.q_proj.bias"));
  EXPECT_FALSE(header.tensors.count("lm_head.weight"));
  auto again = std::make_shared<LlamaModel>(make_config(kLlamaOptions, {{"pretrained", dir.str()}}));
  auto tokens = torch::randint(37, {2, 4});
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_abs_diff(logits_of(*model, tokens), logits_of(*again, tokens)), 1e-6);
}

TEST(Llama, MissingMisShapedOrUnexpectedTensorIsNamed) {
  TempDir dir;
  auto weights = write_hf_llama(dir.str(), torch::kFloat32, false, false);
  auto rewrite = [&](std::map<std::string, torch::Tensor> w) {
    jstip::safetensors::save_file(dir.file("model.safetensors"), w);
  };
  auto load = [&] { LlamaModel model(make_config(kLlamaOptions, {{"pretrained", dir.str()}})); };

  auto missing = weights;
  missing.erase("model.layers.1.mlp.up_proj.weight");
  rewrite(missing);
  expect_error_containing(load, "model.layers.1.mlp.up_proj.weight");

  auto misshaped = weights;
  misshaped["model.layers.0.self_attn.k_proj.weight"] = torch::zeros({16, 16});
  rewrite(misshaped);
  expect_error_containing(load, "model.layers.0.self_attn.k_proj.weight");

  auto extra = weights;
  extra["model.layers.0.self_attn.q_proj.bias"] = torch::zeros({16});
  rewrite(extra);
  expect_error_containing(load, "model.layers.0.self_attn.q_proj.bias");
}

TEST(Llama, BadInputShapesAreExplained) {
  auto model = tiny_llama();
  auto e = torch::randn({1, 3, 16});
  expect_error_containing(
      [&] { model->forward_embeddings(e, torch::ones({1, 4}, torch::kBool), torch::zeros({1, 3}, torch::kInt64), nullptr); },
      "key_mask");
  expect_error_containing([&] { tiny_llama({{"num_key_value_heads", "3"}}); }, "num_key_value_heads");
}

TEST(Llama, Llama3RopeScalingMatchesIndependentComputation) {
  torch::manual_seed(5);
  TempDir dir;
  // head_dim 4 -> frequencies 1 and 0.01 (wavelengths 6.3 and 628): with an
  // original context of 64 and factors 1/4, the first is kept, the second scaled.
  auto weights = write_hf_llama(dir.str(), torch::kFloat32, false, false,
                                ", \"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0,"
                                " \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 64}");
  auto model = std::make_shared<LlamaModel>(make_config(kLlamaOptions, {{"pretrained", dir.str()}}));
  EXPECT_EQ(model->config().rope_type, "llama3");
  std::vector<double> freqs = {1.0, 0.01 / 8.0};
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(37, {6});
  auto ours = logits_of(*model, tokens.unsqueeze(0)).squeeze(0);
  EXPECT_LT(max_abs_diff(ours, reference_llama(weights, tokens, 2, 4, 2, false, false, freqs)), 1e-4);
  // ...and the scaling survives save_pretrained.
  TempDir again;
  model->save_pretrained(again.str());
  LlamaModel reloaded(make_config(kLlamaOptions, {{"pretrained", again.str()}}));
  EXPECT_EQ(reloaded.config().rope_type, "llama3");
  EXPECT_DOUBLE_EQ(reloaded.config().rope_factor, 8.0);
}

TEST(Llama, Bfloat16ParametersRunAndStayCloseToFloat32) {
  torch::manual_seed(6);
  TempDir dir;
  write_hf_llama(dir.str(), torch::kBFloat16, false, false);
  auto fp32 = std::make_shared<LlamaModel>(make_config(kLlamaOptions, {{"pretrained", dir.str()}}));
  auto bf16 = std::make_shared<LlamaModel>(make_config(kLlamaOptions, {{"pretrained", dir.str()}, {"dtype", "bfloat16"}}));
  EXPECT_EQ(bf16->named_parameters()["model.layers.0.mlp.up_proj.weight"].scalar_type(), torch::kBFloat16);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(37, {1, 6});
  auto low = logits_of(*bf16, tokens);
  EXPECT_EQ(low.scalar_type(), torch::kBFloat16);
  auto high = logits_of(*fp32, tokens);
  EXPECT_LT(max_abs_diff(low, high), 0.1 * high.abs().max().item<double>());
  jstip::testing::expect_error_containing([&] { tiny_llama({{"dtype", "int8"}}); }, "dtype");
}
