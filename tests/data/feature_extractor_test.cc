#include "host/data/feature_extractor.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "host/data/audio_io.h"
#include "host/data/loader.h"
#include "host/data/npy.h"
#include "host/data/shard_file.h"
#include "host/data/whisper_mel.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

Config yaml(const std::string& text) { return Config(host::parse_yaml(text, "test.yaml"), ""); }

// The message of the ConfigError that reading `text`'s features throws ("" when none).
std::string config_error(const std::string& text) {
  try {
    features_options(yaml(text));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::vector<float> speech_samples() { return load_audio_16k(testing::fixture("speech16k.wav")); }

torch::Tensor to_tensor(std::vector<float>& x) { return torch::from_blob(x.data(), {int64_t(x.size())}, torch::kFloat32); }

TEST(FeatureOptions, WithoutASectionTheyAreTodaysKaldiFbank) {
  const FeatureOptions options = features_options(yaml("encoder: {type: x}\n"));
  EXPECT_EQ(options.type, FeatureType::KaldiFbank);
  const auto extractor = make_feature_extractor(options);
  EXPECT_EQ(extractor->name(), "kaldi_fbank");
  EXPECT_EQ(extractor->num_bins(), 80);
  EXPECT_DOUBLE_EQ(extractor->frame_shift_seconds(), 0.01);
  EXPECT_TRUE(extractor->wants_utterance_norm());
  auto wave = speech_samples();
  EXPECT_TRUE(torch::equal(extractor->compute(to_tensor(wave)), Fbank().compute(to_tensor(wave))));
  EXPECT_EQ(extractor->num_frames(16000), Fbank().num_frames(16000));
  EXPECT_EQ(extractor->covered_frames(16000), extractor->num_frames(16000));
}

TEST(FeatureOptions, KaldiFbankOptionsReachTheFbank) {
  const FeatureOptions options = features_options(yaml(
      "features:\n  type: kaldi_fbank\n  num_bins: 40\n  frame_length_ms: 30\n  frame_shift_ms: 20\n"
      "  preemphasis: 0.9\n  remove_dc_offset: false\n  low_freq: 60\n  high_freq: -400\n  dither: 0\n"));
  FbankOptions expected;
  expected.num_bins = 40;
  expected.frame_length_ms = 30;
  expected.frame_shift_ms = 20;
  expected.preemphasis = 0.9;
  expected.remove_dc_offset = false;
  expected.low_freq = 60;
  expected.high_freq = -400;
  const auto extractor = make_feature_extractor(options);
  auto wave = speech_samples();
  EXPECT_TRUE(torch::equal(extractor->compute(to_tensor(wave)), Fbank(expected).compute(to_tensor(wave))));
  EXPECT_EQ(extractor->num_bins(), 40);
  EXPECT_DOUBLE_EQ(extractor->frame_shift_seconds(), 0.02);
  EXPECT_EQ(extractor->num_frames(16000), 1 + (16000 - 480) / 320);
  const Json j = extractor->options_json();
  EXPECT_EQ(j.get_string("type", ""), "kaldi_fbank");
  EXPECT_EQ(j.get_int("num_bins", 0), 40);
  EXPECT_DOUBLE_EQ(j.get_double("high_freq", 0), -400);
  EXPECT_FALSE(j.get_bool("remove_dc_offset", true));
}

TEST(FeatureOptions, WhisperMelFromTheConfig) {
  const auto extractor =
      make_feature_extractor(features_options(yaml("features: {type: whisper_mel, num_bins: 128, pad_30s: true}\n")));
  EXPECT_EQ(extractor->name(), "whisper_mel");
  EXPECT_EQ(extractor->num_bins(), 128);
  EXPECT_EQ(extractor->num_frames(16000), 3000);
  EXPECT_EQ(extractor->covered_frames(16000), 100);
  EXPECT_FALSE(extractor->wants_utterance_norm());
  EXPECT_TRUE(extractor->options_json().get_bool("pad_30s", false));
  const auto unpadded = make_feature_extractor(features_options(yaml("features: {type: whisper_mel}\n")));
  EXPECT_EQ(unpadded->num_bins(), 80);
  EXPECT_EQ(unpadded->num_frames(16000), 100);
  auto wave = speech_samples();
  EXPECT_TRUE(torch::equal(unpadded->compute(to_tensor(wave)), WhisperMel().compute(to_tensor(wave))));
}

TEST(FeatureOptions, ErrorsNameTheKey) {
  EXPECT_EQ(config_error("features:\n  type: whisper_mel\n  num_bin: 80\n"),
            "test.yaml:3: unknown key 'features.num_bin' for features type whisper_mel; did you mean 'num_bins'? "
            "(whisper_mel takes: type, num_bins, pad_30s)");
  EXPECT_EQ(config_error("features:\n  type: whisper_mel\n  num_bins: 64\n"),
            "test.yaml:3: features.num_bins must be 80 or 128 for whisper_mel (Whisper's mel filters; 128 for "
            "large-v3), got 64");
  EXPECT_NE(config_error("features: {type: kaldi_fbank, pad_30s: true}\n")
                .find("unknown key 'features.pad_30s' for features type kaldi_fbank"),
            std::string::npos);
  EXPECT_EQ(config_error("features: {type: whisper}\n"),
            "test.yaml:1: unknown features type 'whisper' (types: kaldi_fbank, whisper_mel)");
  EXPECT_NE(config_error("features: {type: whisper_mle}\n").find("did you mean 'whisper_mel'?"), std::string::npos);
  EXPECT_NE(config_error("features: {num_bins: 80}\n").find("needs `type: kaldi_fbank` or `type: whisper_mel`"),
            std::string::npos);
  EXPECT_EQ(config_error("features: whisper_mel\n"),
            "test.yaml:1: the features section needs `type: kaldi_fbank` or `type: whisper_mel`");
  EXPECT_EQ(config_error("features:\n  type: kaldi_fbank\n  frame_shift_ms: 0\n"),
            "test.yaml:3: features.frame_shift_ms must be > 0, got 0");
  EXPECT_NE(config_error("features: {type: kaldi_fbank, low_freq: 9000}\n").find("low_freq"), std::string::npos);
  EXPECT_NE(config_error("features: {type: whisper_mel, pad_30s: maybe}\n").find("features.pad_30s"), std::string::npos);
  EXPECT_NE(config_error("features: {type: kaldi_fbank, num_bins: many}\n").find("features.num_bins"), std::string::npos);
}

TEST(Npy, RoundTripsInNumpysLayout) {
  testing::ScratchDir dir("npy");
  const auto x = torch::arange(12, torch::kFloat32).reshape({3, 4}) / 7;
  write_npy_float32(dir.path("x.npy"), x);
  EXPECT_TRUE(torch::equal(read_npy_float32(dir.path("x.npy")), x));
  std::ifstream in(dir.path("x.npy"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  const size_t header = uint8_t(bytes[8]) | size_t(uint8_t(bytes[9])) << 8;
  EXPECT_EQ((10 + header) % 64, 0u);  // numpy aligns the data
  EXPECT_NE(bytes.find("'descr': '<f4', 'fortran_order': False, 'shape': (3,4), }"), std::string::npos);
  EXPECT_EQ(bytes.size(), 10 + header + 48);
  // Other ranks and dtypes (converted to float32); no temp file is left behind.
  write_npy_float32(dir.path("v.npy"), torch::tensor({1.5, -2.0}, torch::kFloat64));
  EXPECT_EQ(read_npy_float32(dir.path("v.npy")).sizes(), torch::IntArrayRef({2}));
  write_npy_float32(dir.path("e.npy"), torch::zeros({0, 80}));
  EXPECT_EQ(read_npy_float32(dir.path("e.npy")).sizes(), torch::IntArrayRef({0, 80}));
  EXPECT_THROW(write_npy_float32(dir.path("i.npy"), torch::zeros({2}, torch::kInt64)), NpyError);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
}

TEST(Npy, RefusesWhatItCannotRead) {
  testing::ScratchDir dir("npy-bad");
  write_npy_float32(dir.path("good.npy"), torch::ones({4, 2}));
  std::ifstream in(dir.path("good.npy"), std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto error_for = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir.path(name), std::ios::binary) << bytes;
    try {
      read_npy_float32(dir.path(name));
    } catch (const NpyError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_NE(error_for("short.npy", good.substr(0, good.size() - 4)).find("needs 32 data bytes, the file has 28"),
            std::string::npos);
  EXPECT_NE(error_for("f8.npy", replaced("<f4", "<f8")).find("dtype '<f8'"), std::string::npos);
  EXPECT_NE(error_for("fortran.npy", replaced("False", "True ")).find("Fortran order"), std::string::npos);
  EXPECT_NE(error_for("text.npy", "hello world, not numpy").find("not a .npy file"), std::string::npos);
  EXPECT_NE(error_for("tiny.npy", "\x93NUM").find("not a .npy file"), std::string::npos);
  EXPECT_NE(error_for("header.npy", good.substr(0, 8) + std::string("\xff\xff", 2) + "{").find("does not fit"),
            std::string::npos);
  EXPECT_NE(error_for("shape.npy", replaced("(4,2)", "(4,x)")).find("bad header"), std::string::npos);
  EXPECT_NE(error_for("named.npy", "junk").find(dir.path("named.npy")), std::string::npos);  // names the file
}

// The loader computes what LoaderOptions::features names, with the covered frames.
TEST(FeatureOptions, TheLoaderComputesTheConfiguredFeatures) {
  testing::ScratchDir dir("loader-features");
  auto wave = speech_samples();
  ShardSetWriter writer(dir.path(), "feat", 10);
  for (int64_t length : {int64_t(wave.size()), int64_t(20000)}) {
    Utterance record;
    record.set_id("utt" + std::to_string(length));
    record.set_transcript("the patient was given aspirin");
    record.set_pcm16(to_pcm16(std::vector<float>(wave.begin(), wave.begin() + length)));
    writer.write(record);
  }
  Utterance text_only;
  text_only.set_id("text");
  text_only.set_transcript("a text only sample");
  writer.write(text_only);
  writer.close();
  for (bool pad : {false, true}) {
    LoaderOptions options;
    options.shuffle = false;
    options.max_frames_per_batch = 1000000;
    options.features.type = FeatureType::WhisperMel;
    options.features.whisper_mel = {128, pad};
    Loader loader(writer.paths(), options);
    EXPECT_EQ(loader.features().name(), "whisper_mel");
    loader.start_epoch(0);
    Batch batch;
    ASSERT_TRUE(loader.next(&batch));
    ASSERT_EQ(batch.records.size(), 3u);
    EXPECT_EQ(batch.features.size(2), 128);
    for (size_t b = 0; b < 3; ++b) {
      const int64_t samples = int64_t(batch.records[b].pcm16().size() / 2);
      EXPECT_EQ(batch.feature_lengths[int64_t(b)].item<int64_t>(), loader.features().num_frames(samples));
      EXPECT_EQ(batch.covered_frames[int64_t(b)].item<int64_t>(), samples / 160);
    }
    for (int64_t r = 0; r < 3; ++r) {  // the index the batches are planned with
      const int64_t samples = int64_t(loader.read_record(r).pcm16().size() / 2);
      EXPECT_EQ(loader.num_frames(r), samples == 0 ? 0 : pad ? 3000 : samples / 160);
    }
  }
}

// configs/tiny.yaml with overrides, composed with the build tree's plugins.
host::Composition compose_tiny(const std::vector<std::string>& overrides) {
  const Config config = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, overrides);
  return host::compose(config, {});
}

template <typename F>
std::string error_of(F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// The `features` section meets the model: compose() checks its bins against
// the encoder, and the speech-LLM does not renormalize whisper_mel features.
TEST(FeatureOptions, TheModelChecksTheFeatures) {
  EXPECT_NE(error_of([] { compose_tiny({"features.type=whisper_mel", "features.num_bins=128"}); })
                .find("features.num_bins is 128 but encoder 'transformer' takes encoder.input_dim 80 feature bins"),
            std::string::npos);
  EXPECT_NE(error_of([] { compose_tiny({"features.type=kaldi_fbank", "encoder.input_dim=40"}); })
                .find("features.num_bins is 80 but encoder 'transformer' takes encoder.input_dim 40"),
            std::string::npos);
  EXPECT_NE(error_of([] { compose_tiny({"featurs.type=whisper_mel"}); }).find("did you mean 'features'?"),
            std::string::npos);
  EXPECT_NO_THROW(compose_tiny({"features.type=whisper_mel", "features.num_bins=128", "encoder.input_dim=128"}));

  // Features straight from a Whisper front end: no per-utterance normalization unless asked, and asking is an error.
  const auto features = torch::randn({2, 40, 80}) * 3 + 5;
  const auto lengths = torch::tensor({int64_t(40), int64_t(30)});
  auto encoded = [&](const std::vector<std::string>& overrides) {
    torch::manual_seed(7);  // the same weights every time
    graph::SpeechLLM model(compose_tiny(overrides));
    model.eval();
    torch::NoGradGuard no_grad;
    EXPECT_DOUBLE_EQ(model.frame_mapper().frame_shift_seconds, 0.01);
    return model.encode_speech(features, lengths).embeddings;
  };
  const auto whisper_default = encoded({"features.type=whisper_mel"});
  EXPECT_TRUE(torch::equal(whisper_default, encoded({"features.type=whisper_mel", "data.feature_norm=none"})));
  EXPECT_TRUE(torch::equal(encoded({}), encoded({"data.feature_norm=utterance"})));  // kaldi_fbank: normalized
  EXPECT_FALSE(torch::allclose(whisper_default, encoded({})));
  EXPECT_NE(error_of([] { graph::SpeechLLM(compose_tiny({"features.type=whisper_mel", "data.feature_norm=utterance"})); })
                .find("data.feature_norm: utterance would rescale whisper_mel features"),
            std::string::npos);
  EXPECT_NO_THROW(graph::SpeechLLM(compose_tiny({"features.type=whisper_mel", "data.feature_norm=none"})));
  EXPECT_NE(error_of([] { graph::SpeechLLM(compose_tiny({"features.type=whisper_mel", "features.pad30s=true"})); })
                .find("unknown key 'features.pad30s'"),
            std::string::npos);
  // kaldi_fbank's frame shift reaches the frame mapper (word spans in frames).
  graph::SpeechLLM coarse(compose_tiny({"features.type=kaldi_fbank", "features.frame_shift_ms=20"}));
  EXPECT_DOUBLE_EQ(coarse.frame_mapper().frame_shift_seconds, 0.02);
}

}  // namespace
}  // namespace jstip::data
