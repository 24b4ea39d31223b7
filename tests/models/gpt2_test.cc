// gpt2 plugin: HF import (Conv1D-transposed weights, with and without the
// "transformer." prefix, mask buffers ignored) against an independent
// computation, KV cache vs full forward, save/load round trip.
#include <fstream>
#include <set>

#include "gpt2_model.h"
#include "jstip/nn/freeze.h"
#include "jstip/safetensors.h"
#include "model_test_util.h"

using jstip::gpt2::Gpt2Model;
using jstip::gpt2::kGpt2Options;
using jstip::testing::make_config;
using jstip::testing::max_abs_diff;
using jstip::testing::TempDir;

namespace {

const int64_t kV = 29, kH = 12, kLayers = 2, kHeads = 3, kPos = 16;

std::map<std::string, torch::Tensor> write_hf_gpt2(const std::string& dir, torch::Dtype dtype, bool prefixed) {
  std::map<std::string, torch::Tensor> w;  // HF layout: Conv1D weights [in, out]
  auto r = [&](std::vector<int64_t> s, double scale = 0.3) { return (torch::randn(s) * scale).to(dtype); };
  w["wte.weight"] = r({kV, kH}, 1.0);
  w["wpe.weight"] = r({kPos, kH}, 0.5);
  w["ln_f.weight"] = (1 + r({kH}, 0.1).to(torch::kFloat32)).to(dtype);
  w["ln_f.bias"] = r({kH}, 0.1);
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "h." + std::to_string(l) + ".";
    for (const char* ln : {"ln_1", "ln_2"}) {
      w[p + ln + ".weight"] = (1 + r({kH}, 0.1).to(torch::kFloat32)).to(dtype);
      w[p + ln + ".bias"] = r({kH}, 0.1);
    }
    w[p + "attn.c_attn.weight"] = r({kH, 3 * kH});
    w[p + "attn.c_attn.bias"] = r({3 * kH}, 0.1);
    w[p + "attn.c_proj.weight"] = r({kH, kH});
    w[p + "attn.c_proj.bias"] = r({kH}, 0.1);
    w[p + "mlp.c_fc.weight"] = r({kH, 4 * kH});
    w[p + "mlp.c_fc.bias"] = r({4 * kH}, 0.1);
    w[p + "mlp.c_proj.weight"] = r({4 * kH, kH});
    w[p + "mlp.c_proj.bias"] = r({kH}, 0.1);
  }
  std::map<std::string, torch::Tensor> stored;
  for (auto& [k, v] : w) stored[(prefixed ? "transformer." : "") + k] = v;
  stored[(prefixed ? "transformer." : "") + std::string("h.0.attn.bias")] = torch::ones({1, 1, kPos, kPos});  // old mask buffer
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/config.json") << R"({"model_type": "gpt2", "vocab_size": 29, "n_embd": 12, "n_layer": 2,
    "n_head": 3, "n_positions": 16, "n_inner": null, "layer_norm_epsilon": 1e-05, "activation_function": "gelu_new"})";
  jstip::safetensors::save_file(dir + "/model.safetensors", stored);
  return w;
}

torch::Tensor reference_gpt2(const std::map<std::string, torch::Tensor>& weights, const torch::Tensor& tokens) {
  auto W = [&](const std::string& n) { return weights.at(n).to(torch::kFloat32); };
  auto ln = [&](const torch::Tensor& x, const std::string& n) {
    auto mu = x.mean(-1, true);
    auto var = (x - mu).pow(2).mean(-1, true);
    return (x - mu) / torch::sqrt(var + 1e-5) * W(n + ".weight") + W(n + ".bias");
  };
  int64_t t = tokens.size(0), hd = kH / kHeads;
  auto x = W("wte.weight").index_select(0, tokens) + W("wpe.weight").narrow(0, 0, t);
  auto future = torch::ones({t, t}).triu(1).to(torch::kBool);
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "h." + std::to_string(l) + ".";
    auto qkv = ln(x, p + "ln_1").mm(W(p + "attn.c_attn.weight")) + W(p + "attn.c_attn.bias");  // Conv1D: x W
    std::vector<torch::Tensor> heads;
    for (int64_t h = 0; h < kHeads; ++h) {
      auto q = qkv.narrow(1, h * hd, hd), k = qkv.narrow(1, kH + h * hd, hd), v = qkv.narrow(1, 2 * kH + h * hd, hd);
      auto s = (q.mm(k.t()) / std::sqrt(static_cast<double>(hd))).masked_fill(future, -1e30);
      heads.push_back(torch::softmax(s, -1).mm(v));
    }
    x = x + torch::cat(heads, 1).mm(W(p + "attn.c_proj.weight")) + W(p + "attn.c_proj.bias");
    auto u = ln(x, p + "ln_2").mm(W(p + "mlp.c_fc.weight")) + W(p + "mlp.c_fc.bias");
    auto gelu_new = 0.5 * u * (1 + torch::tanh(std::sqrt(2.0 / M_PI) * (u + 0.044715 * u.pow(3))));
    x = x + gelu_new.mm(W(p + "mlp.c_proj.weight")) + W(p + "mlp.c_proj.bias");
  }
  return ln(x, "ln_f").mm(W("wte.weight").t());
}

torch::Tensor logits_of(Gpt2Model& model, const torch::Tensor& tokens) {
  int64_t b = tokens.size(0), t = tokens.size(1);
  return model
      .forward_embeddings(model.embed(tokens), torch::ones({b, t}, torch::kBool),
                          torch::arange(t).unsqueeze(0).expand({b, t}), nullptr)
      .logits;
}

class Gpt2Import : public ::testing::TestWithParam<std::tuple<torch::Dtype, bool>> {};

}  // namespace

TEST_P(Gpt2Import, HfCheckpointForwardMatchesIndependentComputation) {
  torch::manual_seed(0);
  TempDir dir;
  auto [dtype, prefixed] = GetParam();
  auto weights = write_hf_gpt2(dir.str(), dtype, prefixed);
  auto model = std::make_shared<Gpt2Model>(make_config(kGpt2Options, {{"pretrained", dir.str()}}));
  EXPECT_EQ(model->hidden_size(), kH);
  EXPECT_EQ(model->vocab_size(), kV);
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(kV, {7});
  EXPECT_LT(max_abs_diff(logits_of(*model, tokens.unsqueeze(0)).squeeze(0), reference_gpt2(weights, tokens)), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(DtypesAndPrefixes, Gpt2Import,
                         ::testing::Combine(::testing::Values(torch::kFloat32, torch::kFloat16, torch::kBFloat16),
                                            ::testing::Bool()));

TEST(Gpt2, KvCacheDecodingMatchesFullForward) {
  torch::manual_seed(1);
  auto model = std::make_shared<Gpt2Model>(make_config(
      kGpt2Options, {{"vocab_size", "29"}, {"hidden_size", "12"}, {"num_layers", "2"}, {"num_heads", "3"},
                     {"max_position_embeddings", "16"}}));
  torch::NoGradGuard no_grad;
  const int64_t b = 2, t = 8, prompt = 3;
  auto tokens = torch::randint(kV, {b, t});
  auto mask = torch::ones({b, t}, torch::kBool);
  mask.index_put_({0, torch::indexing::Slice(0, 1)}, false);  // row 0 left-padded by 1
  auto positions = (mask.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);
  auto full = model->forward_embeddings(model->embed(tokens), mask, positions, nullptr).logits;
  jstip::KVCache cache;
  using torch::indexing::Slice;
  model->forward_embeddings(model->embed(tokens.index({Slice(), Slice(0, prompt)})), mask.index({Slice(), Slice(0, prompt)}),
                            positions.index({Slice(), Slice(0, prompt)}), &cache);
  for (int64_t s = prompt; s < t; ++s) {
    auto out = model->forward_embeddings(model->embed(tokens.index({Slice(), Slice(s, s + 1)})),
                                         mask.index({Slice(), Slice(0, s + 1)}), positions.index({Slice(), Slice(s, s + 1)}),
                                         &cache)
                   .logits;
    EXPECT_LT(max_abs_diff(out.squeeze(1), full.index({Slice(), s})), 1e-4) << "step " << s;
  }
  jstip::testing::expect_error_containing(
      [&] {
        model->forward_embeddings(model->embed(tokens.narrow(1, 0, 1)), mask.narrow(1, 0, 1),
                                  torch::full({b, 1}, 16, torch::kInt64), nullptr);
      },
      "max_position_embeddings");
}

TEST(Gpt2, SavePretrainedWritesHfLayoutAndRoundTrips) {
  torch::manual_seed(2);
  TempDir dir;
  auto model = std::make_shared<Gpt2Model>(make_config(
      kGpt2Options, {{"vocab_size", "29"}, {"hidden_size", "12"}, {"num_layers", "1"}, {"num_heads", "3"},
                     {"max_position_embeddings", "16"}}));
  model->save_pretrained(dir.str());
  auto header = jstip::safetensors::read_header(dir.file("model.safetensors"));
  EXPECT_EQ(header.tensors.at("transformer.h.0.mlp.c_fc.weight").shape, (std::vector<int64_t>{12, 48}));  // [in, out]
  EXPECT_TRUE(header.tensors.count("transformer.wpe.weight"));
  auto again = std::make_shared<Gpt2Model>(make_config(kGpt2Options, {{"pretrained", dir.str()}}));
  torch::NoGradGuard no_grad;
  auto tokens = torch::randint(29, {1, 6});
  EXPECT_LT(max_abs_diff(logits_of(*model, tokens), logits_of(*again, tokens)), 1e-6);
}

TEST(Gpt2, MisShapedTensorIsNamed) {
  TempDir dir;
  auto weights = write_hf_gpt2(dir.str(), torch::kFloat32, true);
  std::map<std::string, torch::Tensor> bad;
  for (auto& [k, v] : weights) bad["transformer." + k] = v;
  bad["transformer.h.1.mlp.c_fc.weight"] = torch::zeros({4 * kH, kH});  // not transposed: wrong for HF
  jstip::safetensors::save_file(dir.file("model.safetensors"), bad);
  jstip::testing::expect_error_containing(
      [&] { Gpt2Model m(make_config(kGpt2Options, {{"pretrained", dir.str()}})); }, "transformer.h.1.mlp.c_fc.weight");
}

// The decoder core builds GPT-2's own names (fused c_attn, Conv1D-named
// projections, learned wpe), which checkpoints and LoRA targets refer to.
TEST(Gpt2, ParameterNamesAreExactlyTheHfNames) {
  std::set<std::string> expected;
  for (const char* name : {"wte.weight", "wpe.weight", "ln_f.weight", "ln_f.bias"})
    expected.insert(std::string("transformer.") + name);
  for (const char* name : {"ln_1.weight", "ln_1.bias", "ln_2.weight", "ln_2.bias", "attn.c_attn.weight",
                           "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias", "mlp.c_fc.weight",
                           "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"})
    expected.insert(std::string("transformer.h.0.") + name);
  Gpt2Model model(make_config(kGpt2Options, {{"vocab_size", "29"}, {"hidden_size", "12"}, {"num_layers", "1"},
                                             {"num_heads", "3"}, {"max_position_embeddings", "16"}}));
  std::set<std::string> names;
  for (const auto& item : model.named_parameters()) names.insert(item.key());
  EXPECT_EQ(names, expected);
  EXPECT_EQ(model.named_parameters()["transformer.h.0.attn.c_attn.weight"].sizes(),
            (std::vector<int64_t>{3 * 12, 12}));  // [out, in] here; [in, out] in HF files
}

// LoRA on the fused projection: outputs unchanged at first, and the adapters
// reach the attention (a non-zero B on the fused c_attn changes the logits).
TEST(Gpt2, LoraOnFusedAttentionProjection) {
  torch::manual_seed(3);
  Gpt2Model model(make_config(kGpt2Options, {{"vocab_size", "29"}, {"hidden_size", "12"}, {"num_layers", "2"},
                                             {"num_heads", "3"}, {"max_position_embeddings", "16"}}));
  auto tokens = torch::randint(kV, {1, 5});
  torch::Tensor before;
  {
    torch::NoGradGuard no_grad;
    before = logits_of(model, tokens);
  }
  auto adapted = jstip::nn::inject_lora(model, R"(attn\.c_attn$)", 2, 4.0);
  EXPECT_EQ(adapted, (std::vector<std::string>{"transformer.h.0.attn.c_attn", "transformer.h.1.attn.c_attn"}));
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_abs_diff(logits_of(model, tokens), before), 1e-6);
  model.named_parameters()["transformer.h.0.attn.c_attn.lora_B"].fill_(0.1);
  EXPECT_GT(max_abs_diff(logits_of(model, tokens), before), 1e-4);
}
