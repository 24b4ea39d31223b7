#include "host/data/fbank.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>

#include "host/data/audio_io.h"
#include "host/data/cmvn.h"
#include "host/data/spec_augment.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

// Reads the reference written by scripts/make_fbank_reference.py.
torch::Tensor read_reference(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  char magic[8];
  int64_t rows = 0, cols = 0;
  in.read(magic, 8);
  EXPECT_EQ(std::string(magic, 8), "JSTFBNK1");
  in.read(reinterpret_cast<char*>(&rows), 8);
  in.read(reinterpret_cast<char*>(&cols), 8);
  auto t = torch::empty({rows, cols}, torch::kFloat32);
  in.read(reinterpret_cast<char*>(t.data_ptr<float>()), std::streamsize(rows * cols * 4));
  EXPECT_TRUE(in) << path << ": short file";
  return t;
}

torch::Tensor to_tensor(const std::vector<float>& x) {
  return torch::from_blob(const_cast<float*>(x.data()), {int64_t(x.size())}, torch::kFloat32).clone();
}

TEST(Fbank, MatchesTorchaudioKaldiOnRealSpeech) {
  const auto wave = load_audio_16k(testing::fixture("speech16k.wav"));
  const auto reference = read_reference(testing::fixture("speech16k.fbank"));
  const auto features = Fbank().compute(to_tensor(wave));
  ASSERT_EQ(features.sizes(), reference.sizes());
  // Both are float32 computations in a different order: measured against a
  // float64 Kaldi fbank of this audio, torchaudio's largest error is 1.23e-3 and
  // ours 1.24e-3 (the low bins of quiet frames, log power ~2.6), so the two can
  // differ by a little more than that at one point, and by far less on average.
  // Measured: 1.32e-3 max, 5e-6 mean with LibTorch's FFT; 1.86e-3 and 6e-6 with FFTW.
  const auto difference = (features - reference).abs();
  const double max_abs = difference.max().item<double>(), mean_abs = difference.mean().item<double>();
  EXPECT_LT(max_abs, 2.5e-3);
  EXPECT_LT(mean_abs, 2e-5);
  RecordProperty("max_abs_difference", std::to_string(max_abs));
  RecordProperty("mean_abs_difference", std::to_string(mean_abs));
  // The audio is speech, not silence: the features span a real range.
  EXPECT_GT((reference.max() - reference.min()).item<double>(), 10);
}

TEST(Fbank, BatchedEqualsOneByOneAndPadsWithZeros) {
  const auto wave = to_tensor(load_audio_16k(testing::fixture("speech16k.wav")));
  const int64_t n = wave.size(0), m = 12345;
  auto batch = torch::zeros({3, n});
  batch[0].copy_(wave);
  batch[1].narrow(0, 0, m).copy_(wave.narrow(0, 3000, m));
  const auto lengths = torch::tensor({n, m, int64_t(300)});  // the last is shorter than a frame
  Fbank fbank;
  auto [features, frames] = fbank.compute(batch, lengths);
  EXPECT_EQ(frames[0].item<int64_t>(), fbank.num_frames(n));
  EXPECT_EQ(frames[1].item<int64_t>(), 1 + (m - 400) / 160);
  EXPECT_EQ(frames[2].item<int64_t>(), 0);
  const auto one = fbank.compute(wave), two = fbank.compute(wave.narrow(0, 3000, m));
  EXPECT_TRUE(torch::allclose(features[0], one, 1e-5, 1e-4));
  const int64_t t1 = two.size(0);
  EXPECT_TRUE(torch::allclose(features[1].narrow(0, 0, t1), two, 1e-5, 1e-4));
  EXPECT_EQ(features[1].narrow(0, t1, features.size(1) - t1).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(features[2].abs().sum().item<float>(), 0.0f);
}

TEST(GlobalCmvn, NormalizesAndSurvivesSaveLoad) {
  testing::ScratchDir dir("cmvn");
  const auto wave = to_tensor(load_audio_16k(testing::fixture("speech16k.wav")));
  Fbank fbank;
  auto batch = torch::zeros({2, wave.size(0)});
  batch[0].copy_(wave);
  batch[1].narrow(0, 0, 20000).copy_(wave.narrow(0, 10000, 20000));
  auto [features, frames] = fbank.compute(batch, torch::tensor({wave.size(0), int64_t(20000)}));
  GlobalCmvn cmvn;
  cmvn.accumulate(features, frames);
  cmvn.finalize();
  EXPECT_EQ(cmvn.frames(), frames.sum().item<int64_t>());
  // Over the real frames only (padding excluded), the result is mean 0, std 1.
  auto valid = torch::cat({features[0], features[1].narrow(0, 0, frames[1].item<int64_t>())});
  auto normalized = cmvn.apply(valid);
  EXPECT_LT(normalized.mean(0).abs().max().item<double>(), 1e-3);
  EXPECT_NEAR(normalized.std(0, false).mean().item<double>(), 1.0, 1e-3);
  cmvn.save(dir.path("cmvn.txt"));
  auto loaded = GlobalCmvn::load(dir.path("cmvn.txt"));
  EXPECT_TRUE(torch::allclose(loaded.apply(valid), normalized, 1e-5, 1e-4));
  std::ofstream(dir.path("bad.txt")) << "dim 3\nmean 1 2\nistd 1 2 3\n";
  EXPECT_THROW(GlobalCmvn::load(dir.path("bad.txt")), std::runtime_error);
}

TEST(SpecAugment, MasksStayInsideUtterancesAndRepeatWithTheSeed) {
  auto features = torch::ones({2, 200, 80});
  auto frames = torch::tensor({int64_t(200), int64_t(100)});
  SpecAugmentOptions options;
  options.max_time_ratio = 0.2;
  auto a = spec_augment(features, frames, options, 42), b = spec_augment(features, frames, options, 42);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, spec_augment(features, frames, options, 43)));
  // Time masks: at most 2 x 20% of 100 frames in utterance 1, none past frame 100 except frequency masks.
  auto masked_rows = (a[1] == 0).all(1);  // whole frames masked
  EXPECT_EQ(masked_rows.narrow(0, 100, 100).sum().item<int64_t>(), 0);
  EXPECT_LE(masked_rows.sum().item<int64_t>(), 40);
  auto masked_bins = (a[0] == 0).all(0);  // whole bins masked
  EXPECT_GT(masked_bins.sum().item<int64_t>() + (a[0] == 0).all(1).sum().item<int64_t>(), 0);
  EXPECT_LE(masked_bins.sum().item<int64_t>(), 2 * options.max_freq_width);
}

}  // namespace
}  // namespace jstip::data
