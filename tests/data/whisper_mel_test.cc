#include "host/data/whisper_mel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <sstream>

#include "host/data/audio_io.h"
#include "host/data/npy.h"
#include "jstip/json.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

// Written by scripts/reference/whisper_mel_fixtures.py from openai-whisper.
std::string whisper_fixture(const std::string& name) { return testing::fixture("whisper_mel/" + name); }

torch::Tensor speech() {
  auto wave = load_audio_16k(testing::fixture("speech16k.wav"));
  return torch::from_blob(wave.data(), {int64_t(wave.size())}, torch::kFloat32).clone();
}

// The message of what `body` throws ("" when it does not throw).
template <typename F>
std::string error_of(F&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

Json fixture_info() {
  std::ifstream in(whisper_fixture("speech16k.json"));
  EXPECT_TRUE(in) << whisper_fixture("speech16k.json");
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

TEST(WhisperMel, MelFiltersEqualLibrosaSlaney) {
  for (int64_t bins : {80, 128}) {
    // (row, bin, weight) of every nonzero weight of whisper/assets/mel_filters.npz.
    const auto triplets = read_npy_float32(whisper_fixture("mel_filters_" + std::to_string(bins) + ".npy"));
    ASSERT_EQ(triplets.dim(), 2);
    ASSERT_EQ(triplets.size(1), 3);
    auto expected = torch::zeros({bins, 201});
    for (int64_t k = 0; k < triplets.size(0); ++k)
      expected[triplets[k][0].item<int64_t>()][triplets[k][1].item<int64_t>()] = triplets[k][2];
    const auto ours = slaney_mel_filters(16000, 400, bins);
    ASSERT_EQ(ours.sizes(), expected.sizes());
    EXPECT_TRUE(torch::equal(ours.ne(0), expected.ne(0))) << bins << " bins: the triangles' supports differ";
    // Both float32 of the same float64 formula: equal, or a rounding apart (weights are ~1e-3..3e-2).
    const double max_abs = (ours - expected).abs().max().item<double>();
    EXPECT_LT(max_abs, 1e-9) << bins << " bins";
    RecordProperty("max_abs_difference_" + std::to_string(bins), std::to_string(max_abs));
    // Slaney normalization: every filter has weight (none is empty at 400-point resolution).
    EXPECT_GT(expected.sum(1).min().item<double>(), 0);
    EXPECT_TRUE(torch::allclose(ours.sum(1), expected.sum(1), 1e-6, 1e-9));
  }
}

TEST(WhisperMel, FrameCountsFollowWhisper) {
  const WhisperMel mel, padded({80, true});
  const auto wave = speech();
  for (int64_t n : {201, 16000, 16159, 16160, 16161, 57067}) {
    EXPECT_EQ(mel.num_frames(n), n / 160) << n;
    EXPECT_EQ(mel.covered_frames(n), n / 160) << n;
    EXPECT_EQ(mel.compute(wave.narrow(0, 0, n)).size(0), n / 160) << n;
    EXPECT_EQ(padded.num_frames(n), 3000) << n;
    EXPECT_EQ(padded.covered_frames(n), n / 160) << n;
  }
  EXPECT_EQ(padded.compute(wave).sizes(), torch::IntArrayRef({3000, 80}));
  // torch.stft cannot reflect-pad 200 samples of 200 or fewer: no frames.
  EXPECT_EQ(mel.num_frames(200), 0);
  EXPECT_EQ(mel.num_frames(0), 0);
  EXPECT_EQ(padded.num_frames(0), 0);  // a text-only row
  EXPECT_EQ(padded.num_frames(150), 3000);
  EXPECT_EQ(padded.covered_frames(150), 0);
  EXPECT_EQ(padded.num_frames(600000), 3000);
  EXPECT_EQ(padded.covered_frames(600000), 3000);
  EXPECT_DOUBLE_EQ(mel.frame_shift_seconds(), 0.01);
}

TEST(WhisperMel, MatchesOpenaiWhisperOnRealSpeech) {
  const Json info = fixture_info();
  const auto wave = speech();
  ASSERT_EQ(wave.size(0), info.get_int("samples", -1));
  const Json* frames = info.find("frames");
  ASSERT_TRUE(frames);
  for (int64_t bins : {80, 128})
    for (bool pad : {false, true}) {
      const std::string name = "speech16k_mel" + std::to_string(bins) + (pad ? "_pad30s" : "");
      const auto ours = WhisperMel({bins, pad}).compute(wave);
      ASSERT_EQ(ours.size(0), frames->get_int(name, -1)) << name;
      ASSERT_EQ(ours.size(1), bins);
      // Rows of whisper.log_mel_spectrogram at chosen frames: column 0 is the frame index.
      const auto rows = read_npy_float32(whisper_fixture(name + ".npy"));
      ASSERT_EQ(rows.size(1), 1 + bins) << name;
      ASSERT_GT(rows.size(0), 20) << name;
      double max_abs = 0;
      for (int64_t k = 0; k < rows.size(0); ++k) {
        const int64_t frame = rows[k][0].item<int64_t>();
        ASSERT_LT(frame, ours.size(0)) << name;
        max_abs = std::max(max_abs, (ours[frame] - rows[k].narrow(0, 1, bins)).abs().max().item<double>());
      }
      // Both float32; a different FFT and summation order. Measured: 7e-6 (80 bins), 1e-5 (128).
      EXPECT_LT(max_abs, 1e-4) << name;
      RecordProperty("max_abs_difference_" + name, std::to_string(max_abs));
      // Speech, not silence: the 8-decade range is used.
      EXPECT_GT((rows.narrow(1, 1, bins).max() - rows.narrow(1, 1, bins).min()).item<double>(), 1.5) << name;
    }
}

TEST(WhisperMel, BatchRowsAreIndependentAndPadWithZeros) {
  const auto wave = speech();
  const int64_t n = wave.size(0), m = 20000;
  auto batch = torch::zeros({3, n});
  batch[0].copy_(wave);
  batch[1].narrow(0, 0, m).copy_(wave.narrow(0, 5000, m) * 1e-3);  // quiet: its own clamp maximum
  batch[2].narrow(0, 0, 150).copy_(wave.narrow(0, 9000, 150));   // shorter than the reflect padding
  const auto lengths = torch::tensor({n, m, int64_t(150)});
  const WhisperMel mel;
  const FeatureBatch out = mel.compute(batch, lengths);
  EXPECT_EQ(out.lengths[0].item<int64_t>(), n / 160);
  EXPECT_EQ(out.lengths[1].item<int64_t>(), m / 160);
  EXPECT_EQ(out.lengths[2].item<int64_t>(), 0);
  EXPECT_TRUE(torch::equal(out.lengths, out.covered));
  EXPECT_EQ(out.features.size(1), n / 160);
  EXPECT_TRUE(torch::allclose(out.features[0], mel.compute(wave), 0, 1e-6));
  const auto quiet = mel.compute(wave.narrow(0, 5000, m) * 1e-3);
  EXPECT_TRUE(torch::allclose(out.features[1].narrow(0, 0, m / 160), quiet, 0, 1e-6));
  // 60 dB quieter is 1.5 lower after (log10 + 4) / 4: a shared maximum would have clamped it instead.
  const auto loud = mel.compute(wave.narrow(0, 5000, m));
  EXPECT_NEAR((loud.max() - quiet.max()).item<double>(), 1.5, 1e-3);
  EXPECT_EQ(out.features[1].narrow(0, m / 160, n / 160 - m / 160).abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(out.features[2].abs().sum().item<float>(), 0.0f);

  const FeatureBatch padded = WhisperMel({80, true}).compute(batch, lengths);
  EXPECT_EQ(padded.features.sizes(), torch::IntArrayRef({3, 3000, 80}));
  EXPECT_EQ(padded.lengths[1].item<int64_t>(), 3000);
  EXPECT_EQ(padded.covered[0].item<int64_t>(), n / 160);
  EXPECT_EQ(padded.covered[1].item<int64_t>(), m / 160);
  EXPECT_EQ(padded.covered[2].item<int64_t>(), 0);
}

TEST(WhisperMel, Pad30sKeepsTheAudioFramesAndFillsTheRestWithTheFloor) {
  const auto wave = speech();
  const int64_t n = wave.size(0);
  const auto plain = WhisperMel().compute(wave), padded = WhisperMel({80, true}).compute(wave);
  // Frames whose window lies inside the audio are the same (the same maximum);
  // the last ones differ (a reflection of the audio, or zeros).
  const int64_t inside = (n - 200) / 160 + 1;
  EXPECT_TRUE(torch::allclose(padded.narrow(0, 0, inside), plain.narrow(0, 0, inside), 0, 1e-6));
  // Past the audio everything is the clamp: (max - 8 + 4) / 4 = max - 2 in the output's units.
  const auto tail = padded.narrow(0, (n + 200) / 160 + 1, 3000 - ((n + 200) / 160 + 1));
  EXPECT_NEAR(tail.max().item<double>(), padded.max().item<double>() - 2, 1e-5);
  EXPECT_EQ(tail.min().item<float>(), tail.max().item<float>());
  // Longer than 30 s: the first 3000 frames, all covering audio.
  const auto long_wave = torch::cat({wave, wave, wave, wave, wave, wave, wave, wave, wave});  // 32 s
  const auto long_plain = WhisperMel().compute(long_wave), long_padded = WhisperMel({80, true}).compute(long_wave);
  ASSERT_EQ(long_padded.size(0), 3000);
  EXPECT_TRUE(torch::allclose(long_padded, long_plain.narrow(0, 0, 3000), 0, 1e-6));
}

TEST(WhisperMel, OptionsAreChecked) {
  EXPECT_NE(error_of([] { WhisperMel({64, false}); }).find("num_bins must be 80 or 128"), std::string::npos);
  EXPECT_EQ(WhisperMel({128, false}).mel_filters().sizes(), torch::IntArrayRef({128, 201}));
  const Json j = WhisperMel({128, true}).options_json();
  EXPECT_EQ(j.get_string("type", ""), "whisper_mel");
  EXPECT_EQ(j.get_int("num_bins", 0), 128);
  EXPECT_TRUE(j.get_bool("pad_30s", false));
}

}  // namespace
}  // namespace jstip::data
