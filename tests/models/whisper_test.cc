// whisper encoder: x2 down-sampling and lengths, padding invariance, HF Whisper
// import (model.encoder.*, decoder tensors ignored) against an independent
// computation with torch's own conv1d, mean pooling of output frames, and a
// missing tensor named.
#include <fstream>

#include "jstip/safetensors.h"
#include "model_test_util.h"
#include "whisper_encoder.h"

using jstip::testing::make_config;
using jstip::testing::max_abs_diff;
using jstip::testing::TempDir;
using jstip::whisper::kWhisperOptions;
using jstip::whisper::WhisperEncoder;

namespace {

const int64_t kMels = 10, kD = 16, kHeads = 2, kFfn = 24, kLayers = 2, kPositions = 40;

std::map<std::string, std::string> tiny() {
  return {{"input_dim", "10"}, {"d_model", "16"}, {"num_layers", "2"}, {"num_heads", "2"}, {"ffn_dim", "24"},
          {"max_positions", "40"}};
}

std::map<std::string, torch::Tensor> write_hf_whisper(const std::string& dir) {
  std::map<std::string, torch::Tensor> w;
  auto r = [](std::vector<int64_t> s, double scale = 0.3) { return torch::randn(s) * scale; };
  w["conv1.weight"] = r({kD, kMels, 3});
  w["conv1.bias"] = r({kD}, 0.1);
  w["conv2.weight"] = r({kD, kD, 3});
  w["conv2.bias"] = r({kD}, 0.1);
  w["embed_positions.weight"] = r({kPositions, kD}, 0.5);
  w["layer_norm.weight"] = 1 + r({kD}, 0.1);
  w["layer_norm.bias"] = r({kD}, 0.1);
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "layers." + std::to_string(l) + ".";
    for (const char* n : {"q_proj", "v_proj", "out_proj"}) {
      w[p + "self_attn." + n + ".weight"] = r({kD, kD});
      w[p + "self_attn." + n + ".bias"] = r({kD}, 0.1);
    }
    w[p + "self_attn.k_proj.weight"] = r({kD, kD});
    for (const char* n : {"self_attn_layer_norm", "final_layer_norm"}) {
      w[p + n + ".weight"] = 1 + r({kD}, 0.1);
      w[p + n + ".bias"] = r({kD}, 0.1);
    }
    w[p + "fc1.weight"] = r({kFfn, kD});
    w[p + "fc1.bias"] = r({kFfn}, 0.1);
    w[p + "fc2.weight"] = r({kD, kFfn});
    w[p + "fc2.bias"] = r({kD}, 0.1);
  }
  std::map<std::string, torch::Tensor> stored;
  for (auto& [k, v] : w) stored["model.encoder." + k] = v.to(torch::kFloat16).to(torch::kFloat32);
  stored["model.decoder.embed_tokens.weight"] = torch::zeros({5, kD});  // ignored
  std::filesystem::create_directories(dir);
  jstip::safetensors::save_file(dir + "/model.safetensors", stored);
  std::ofstream(dir + "/config.json") << R"({"model_type": "whisper", "num_mel_bins": 10, "d_model": 16,
    "encoder_layers": 2, "encoder_attention_heads": 2, "encoder_ffn_dim": 24, "max_source_positions": 40,
    "activation_function": "gelu"})";
  return stored;
}

torch::Tensor reference_whisper(const std::map<std::string, torch::Tensor>& stored, const torch::Tensor& feats) {
  auto W = [&](const std::string& n) { return stored.at("model.encoder." + n); };
  auto ln = [&](const torch::Tensor& x, const std::string& n) {
    return torch::layer_norm(x, {kD}, W(n + ".weight"), W(n + ".bias"), 1e-5);
  };
  namespace F = torch::nn::functional;
  auto x = torch::gelu(torch::conv1d(feats.t().unsqueeze(0), W("conv1.weight"), W("conv1.bias"), 1, 1));
  x = torch::gelu(torch::conv1d(x, W("conv2.weight"), W("conv2.bias"), 2, 1)).squeeze(0).t();  // [T', D]
  x = x + W("embed_positions.weight").narrow(0, 0, x.size(0));
  int64_t hd = kD / kHeads;
  for (int l = 0; l < kLayers; ++l) {
    std::string p = "layers." + std::to_string(l) + ".";
    auto h = ln(x, p + "self_attn_layer_norm");
    auto q = (h.mm(W(p + "self_attn.q_proj.weight").t()) + W(p + "self_attn.q_proj.bias")) * std::pow(hd, -0.5);
    auto k = h.mm(W(p + "self_attn.k_proj.weight").t());
    auto v = h.mm(W(p + "self_attn.v_proj.weight").t()) + W(p + "self_attn.v_proj.bias");
    std::vector<torch::Tensor> heads;
    for (int64_t i = 0; i < kHeads; ++i)
      heads.push_back(torch::softmax(q.narrow(1, i * hd, hd).mm(k.narrow(1, i * hd, hd).t()), -1).mm(v.narrow(1, i * hd, hd)));
    x = x + torch::cat(heads, 1).mm(W(p + "self_attn.out_proj.weight").t()) + W(p + "self_attn.out_proj.bias");
    auto f = torch::gelu(ln(x, p + "final_layer_norm").mm(W(p + "fc1.weight").t()) + W(p + "fc1.bias"));
    x = x + f.mm(W(p + "fc2.weight").t()) + W(p + "fc2.bias");
  }
  return ln(x, "layer_norm");
}

}  // namespace

TEST(Whisper, DownsamplesByTwoAndMasksPadding) {
  torch::manual_seed(0);
  WhisperEncoder encoder(make_config(kWhisperOptions, tiny()));
  encoder.eval();
  EXPECT_EQ(encoder.downsampling(), 2);
  torch::NoGradGuard no_grad;
  std::vector<int64_t> lens = {31, 20, 7};
  auto feats = torch::randn({3, 31, kMels});
  auto padded = feats.clone();
  for (int64_t b = 0; b < 3; ++b) padded.index_put_({b, torch::indexing::Slice(lens[b], torch::indexing::None)}, std::nan(""));
  auto batched = encoder.encode(padded, torch::tensor(lens, torch::kInt64));
  EXPECT_TRUE(torch::equal(batched.lengths, torch::tensor({16, 10, 4}, torch::kInt64)));
  EXPECT_EQ(batched.hidden.sizes(), (std::vector<int64_t>{3, 16, kD}));
  EXPECT_FALSE(torch::isnan(batched.hidden).any().item<bool>());
  for (int64_t b = 0; b < 3; ++b) {
    auto alone = encoder.encode(feats.index({torch::indexing::Slice(b, b + 1), torch::indexing::Slice(0, lens[b])}),
                                torch::tensor({lens[b]}, torch::kInt64));
    int64_t n = alone.lengths.item<int64_t>();
    EXPECT_LT(max_abs_diff(batched.hidden[b].narrow(0, 0, n), alone.hidden[0]), 1e-5) << "row " << b;
  }
  jstip::testing::expect_error_containing(
      [&] { encoder.encode(torch::randn({1, 90, kMels}), torch::tensor({90}, torch::kInt64)); }, "max_positions");
}

TEST(Whisper, HfCheckpointMatchesIndependentComputation) {
  torch::manual_seed(1);
  TempDir dir;
  auto stored = write_hf_whisper(dir.str());
  WhisperEncoder encoder(make_config(kWhisperOptions, {{"pretrained", dir.str()}, {"ctc_vocab", "5"}}));
  EXPECT_EQ(encoder.input_dim(), kMels);
  encoder.eval();
  torch::NoGradGuard no_grad;
  auto feats = torch::randn({23, kMels});
  auto out = encoder.encode(feats.unsqueeze(0), torch::tensor({23}, torch::kInt64));
  EXPECT_EQ(out.ctc_logits.size(2), 5);
  EXPECT_LT(max_abs_diff(out.hidden[0], reference_whisper(stored, feats)), 1e-4);
}

// pool N: the mean of every N output frames of the independent computation,
// the last group of a row over its valid frames only; the CTC head reads the
// pooled frames; lengths ceil(T' / N); downsampling 2N.
TEST(Whisper, PoolAveragesRunsOfOutputFramesBeforeTheCtcHead) {
  torch::manual_seed(2);
  TempDir dir;
  auto stored = write_hf_whisper(dir.str());
  WhisperEncoder encoder(make_config(kWhisperOptions, {{"pretrained", dir.str()}, {"ctc_vocab", "5"}, {"pool", "4"}}));
  EXPECT_EQ(encoder.downsampling(), 8);
  encoder.eval();
  torch::NoGradGuard no_grad;
  const std::vector<int64_t> lens = {23, 9};  // 12 and 5 frames at 50 Hz: 3 and 2 pooled
  auto feats = torch::randn({2, 23, kMels});
  auto out = encoder.encode(feats, torch::tensor(lens, torch::kInt64));
  EXPECT_TRUE(torch::equal(out.lengths, torch::tensor({3, 2}, torch::kInt64)));
  ASSERT_EQ(out.hidden.sizes(), (std::vector<int64_t>{2, 3, kD}));
  for (int64_t b = 0; b < 2; ++b) {
    const auto full = reference_whisper(stored, feats[b].narrow(0, 0, lens[b]));  // [T', D]
    for (int64_t g = 0; g < out.lengths[b].item<int64_t>(); ++g) {
      const int64_t begin = g * 4, count = std::min<int64_t>(4, full.size(0) - begin);
      EXPECT_LT(max_abs_diff(out.hidden[b][g], full.narrow(0, begin, count).mean(0)), 1e-4) << "row " << b << " group " << g;
    }
  }
  EXPECT_EQ(out.hidden[1][2].abs().sum().item<double>(), 0.0) << "zero beyond the pooled length";
  EXPECT_LT(max_abs_diff(out.ctc_logits, encoder.ctc_head(out.hidden)), 1e-6) << "the head reads the pooled frames";
  jstip::testing::expect_error_containing(
      [&] { WhisperEncoder(make_config(kWhisperOptions, {{"pretrained", dir.str()}, {"pool", "0"}})); }, "pool");
}

TEST(Whisper, MissingEncoderTensorIsNamedAndTrainingGivesFiniteGradients) {
  TempDir dir;
  auto stored = write_hf_whisper(dir.str());
  stored.erase("model.encoder.layers.1.fc1.weight");
  jstip::safetensors::save_file(dir.file("model.safetensors"), stored);
  jstip::testing::expect_error_containing(
      [&] { WhisperEncoder e(make_config(kWhisperOptions, {{"pretrained", dir.str()}})); }, "layers.1.fc1.weight");

  WhisperEncoder encoder(make_config(kWhisperOptions, tiny()));
  encoder.encode(torch::randn({2, 30, kMels}), torch::tensor({30, 17}, torch::kInt64)).hidden.pow(2).sum().backward();
  for (auto& p : encoder.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
}
