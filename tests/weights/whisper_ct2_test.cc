// weights::WhisperCt2AsHf: a CTranslate2 Whisper file under Hugging Face names,
// on a tiny hand-made file (every mapping rule and refusal) and on the shipped
// Whisper tiny.en when it is there.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "jstip/weights/ctranslate2.h"
#include "jstip/weights/whisper_ct2.h"
#include "tests/weights/ct2_bytes.h"

namespace {

namespace fs = std::filesystem;
using jstip::ctranslate2::test::FakeVariable;
using jstip::ctranslate2::test::model_bin;
using jstip::ctranslate2::test::variable_of;
using jstip::weights::WhisperCt2AsHf;
using jstip::weights::WeightsError;

constexpr int64_t kD = 8, kBins = 4, kFfn = 16, kPositions = 6;

// A Whisper encoder of one layer, d_model 8, 2 heads, in CTranslate2's layout;
// `edit` may change the variables before they are written.
std::string tiny_whisper(const std::string& name, const std::function<void(std::vector<FakeVariable>&)>& edit = {}) {
  torch::manual_seed(0);
  auto f16 = [](std::vector<int64_t> shape) { return torch::randn(shape).to(torch::kFloat16); };
  auto fused_bias = torch::randn({3 * kD});
  fused_bias.narrow(0, kD, kD).zero_();  // k has no bias
  std::vector<FakeVariable> v = {
      variable_of("encoder/conv1/weight", f16({kD, kBins, 3})),
      variable_of("encoder/conv1/bias", f16({kD})),
      variable_of("encoder/conv2/weight", f16({kD, kD, 3})),
      variable_of("encoder/conv2/bias", f16({kD})),
      variable_of("encoder/position_encodings/encodings", f16({kPositions, kD})),
      variable_of("encoder/layer_0/self_attention/layer_norm/gamma", f16({kD})),
      variable_of("encoder/layer_0/self_attention/layer_norm/beta", f16({kD})),
      variable_of("encoder/layer_0/self_attention/linear_0/weight", f16({3 * kD, kD})),
      variable_of("encoder/layer_0/self_attention/linear_0/bias", fused_bias.to(torch::kFloat16)),
      variable_of("encoder/layer_0/self_attention/linear_1/weight", f16({kD, kD})),
      variable_of("encoder/layer_0/self_attention/linear_1/bias", f16({kD})),
      variable_of("encoder/layer_0/ffn/layer_norm/gamma", f16({kD})),
      variable_of("encoder/layer_0/ffn/layer_norm/beta", f16({kD})),
      variable_of("encoder/layer_0/ffn/linear_0/weight", f16({kFfn, kD})),
      variable_of("encoder/layer_0/ffn/linear_0/bias", f16({kFfn})),
      variable_of("encoder/layer_0/ffn/linear_1/weight", f16({kD, kFfn})),
      variable_of("encoder/layer_0/ffn/linear_1/bias", f16({kD})),
      variable_of("encoder/layer_norm/gamma", f16({kD})),
      variable_of("encoder/layer_norm/beta", f16({kD})),
      variable_of("encoder/num_heads", torch::tensor({2}, torch::kInt16).reshape({})),
  };
  if (edit) edit(v);
  const fs::path dir = fs::path(JSTIP_BINARY_DIR) / "test-scratch" / "whisper_ct2" / name;
  fs::create_directories(dir);
  std::ofstream(dir / "model.bin", std::ios::binary) << model_bin(6, "WhisperSpec", 3, v);
  return dir.string();
}

std::shared_ptr<const jstip::weights::TensorSource> open(const std::string& dir) {
  return jstip::weights::open_tensor_source(dir);
}

void expect_refused(const std::string& dir, const std::string& needle) {
  try {
    WhisperCt2AsHf view(open(dir));
    FAIL() << "opened " << dir;
  } catch (const WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
}

TEST(WhisperCt2, ListsHuggingFaceNamesAndSplitsTheFusedProjections) {
  const std::string dir = tiny_whisper("good");
  auto ct2 = open(dir);
  WhisperCt2AsHf view(ct2);
  EXPECT_EQ(view.format(), "ctranslate2");
  EXPECT_EQ(view.sizes().d_model, kD);
  EXPECT_EQ(view.sizes().num_mel_bins, kBins);
  EXPECT_EQ(view.sizes().encoder_layers, 1);
  EXPECT_EQ(view.sizes().encoder_attention_heads, 2);
  EXPECT_EQ(view.sizes().encoder_ffn_dim, kFfn);
  EXPECT_EQ(view.sizes().max_source_positions, kPositions);
  EXPECT_FALSE(view.sizes().has_decoder);
  // 19 weight variables; linear_0 weight -> q, k, v; its bias -> q, v (k has none).
  EXPECT_EQ(view.entries().size(), 19u + 2u + 1u);
  EXPECT_FALSE(view.contains("model.encoder.layers.0.self_attn.k_proj.bias"));
  const auto fused = ct2->read("encoder/layer_0/self_attention/linear_0/weight", torch::kFloat32);
  const char* parts[] = {"q", "k", "v"};
  for (int i = 0; i < 3; ++i) {
    const std::string name = std::string("model.encoder.layers.0.self_attn.") + parts[i] + "_proj.weight";
    ASSERT_TRUE(view.contains(name)) << name;
    EXPECT_EQ(view.entry(name).shape, (std::vector<int64_t>{kD, kD}));
    EXPECT_EQ(view.entry(name).type, "F16");
    EXPECT_TRUE(torch::equal(view.read(name, torch::kFloat32), fused.narrow(0, i * kD, kD))) << name;
  }
  const auto bias = ct2->read("encoder/layer_0/self_attention/linear_0/bias", torch::kFloat32);
  EXPECT_TRUE(torch::equal(view.read("model.encoder.layers.0.self_attn.v_proj.bias", torch::kFloat32),
                           bias.narrow(0, 2 * kD, kD)));
  EXPECT_TRUE(torch::equal(view.read("model.encoder.layer_norm.weight", torch::kFloat32),
                           ct2->read("encoder/layer_norm/gamma", torch::kFloat32)));
  EXPECT_TRUE(torch::equal(view.read("model.encoder.embed_positions.weight", torch::kFloat32),
                           ct2->read("encoder/position_encodings/encodings", torch::kFloat32)));
  // Undefined dtype: as stored.
  EXPECT_EQ(view.read("model.encoder.conv1.weight", torch::ScalarType::Undefined).scalar_type(), torch::kFloat16);
  const auto config = jstip::weights::whisper_hf_config(view.sizes());
  EXPECT_EQ(config.get_int("encoder_attention_heads", 0), 2);
  EXPECT_EQ(config.get_string("model_type", ""), "whisper");
}

TEST(WhisperCt2, RefusesAKBiasThatIsNotZero) {
  const std::string dir = tiny_whisper("k-bias", [](std::vector<FakeVariable>& v) {
    for (auto& var : v)
      if (var.name == "encoder/layer_0/self_attention/linear_0/bias")
        var = variable_of(var.name, torch::ones({3 * kD}).to(torch::kFloat16));
  });
  expect_refused(dir, "variable 'encoder/layer_0/self_attention/linear_0/bias' part 1 of 3");
}

TEST(WhisperCt2, RefusesAVariableWithoutAHuggingFaceName) {
  const std::string dir = tiny_whisper("unknown", [](std::vector<FakeVariable>& v) {
    v.push_back(variable_of("encoder/layer_0/extra/weight", torch::zeros({kD}).to(torch::kFloat16)));
  });
  expect_refused(dir, "variable 'encoder/layer_0/extra/weight' has no Hugging Face name");
}

TEST(WhisperCt2, RefusesFlagsOfAnotherLayout) {
  const std::string dir = tiny_whisper("post-norm", [](std::vector<FakeVariable>& v) {
    v.push_back(variable_of("decoder/pre_norm", torch::tensor({0}, torch::kInt8).reshape({})));
  });
  expect_refused(dir, "variable 'decoder/pre_norm' is 0");
}

TEST(WhisperCt2, RefusesAFileThatIsNotWhisper) {
  const std::string dir = tiny_whisper("not-whisper", [](std::vector<FakeVariable>& v) {
    v.erase(v.begin());  // no encoder/conv1/weight
  });
  expect_refused(dir, "not a Whisper model");
}

TEST(WhisperCt2, ReadsTheShippedWhisperTinyEn) {
  const fs::path dir = fs::path(JSTIP_SOURCE_DIR) / "models" / "whisper-tiny.en";
  if (!fs::exists(dir / "model.bin")) GTEST_SKIP() << dir << "/model.bin is absent (scripts/install-venv.sh links it)";
  auto ct2 = open(dir.string());
  WhisperCt2AsHf view(ct2);
  const auto& s = view.sizes();
  EXPECT_EQ(s.num_mel_bins, 80);
  EXPECT_EQ(s.d_model, 384);
  EXPECT_EQ(s.encoder_layers, 4);
  EXPECT_EQ(s.encoder_attention_heads, 6);
  EXPECT_EQ(s.encoder_ffn_dim, 1536);
  EXPECT_EQ(s.max_source_positions, 1500);
  EXPECT_TRUE(s.has_decoder);
  EXPECT_EQ(s.decoder_layers, 4);
  EXPECT_EQ(s.vocab_size, 51864);
  EXPECT_EQ(s.max_target_positions, 448);
  // transformers' WhisperForConditionalGeneration has 167 tensors besides the tied proj_out.
  EXPECT_EQ(view.entries().size(), 167u);
  const auto fused = ct2->read("decoder/layer_3/attention/linear_1/weight", torch::kFloat32);
  EXPECT_TRUE(torch::equal(view.read("model.decoder.layers.3.encoder_attn.v_proj.weight", torch::kFloat32),
                           fused.narrow(0, 384, 384)));
}

}  // namespace
