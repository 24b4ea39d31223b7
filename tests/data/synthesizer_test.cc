#include "host/data/synthesizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <set>

#include "host/data/fbank.h"
#include "host/runtime/config_loader.h"
#include "jstip/config.h"

namespace jstip::data {
namespace {

SynthesisOptions fixed_voice() {
  SynthesisOptions o;
  o.voices = {"en-us"};
  o.variants = {""};
  o.rate_min = o.rate_max = 160;
  o.pitch_min = o.pitch_max = 50;
  o.volume_min = o.volume_max = 100;
  return o;
}

torch::Tensor cut(const Synthesis& s, const TimedWord& w) {
  auto audio = torch::from_blob(const_cast<float*>(s.samples.data()), {int64_t(s.samples.size())}, torch::kFloat32);
  const auto begin = int64_t(w.start * 16000), end = int64_t(w.end * 16000);
  return audio.slice(0, begin, end).clone();
}

// Dynamic time warping distance between two feature sequences, per step.
double dtw(const torch::Tensor& a, const torch::Tensor& b) {
  auto cost = torch::cdist(a, b).contiguous();
  const int64_t n = a.size(0), m = b.size(0);
  auto c = cost.accessor<float, 2>();
  std::vector<double> d((n + 1) * (m + 1), std::numeric_limits<double>::infinity());
  auto at = [&](int64_t i, int64_t j) -> double& { return d[size_t(i * (m + 1) + j)]; };
  at(0, 0) = 0;
  for (int64_t i = 1; i <= n; ++i)
    for (int64_t j = 1; j <= m; ++j)
      at(i, j) = c[i - 1][j - 1] + std::min({at(i - 1, j), at(i, j - 1), at(i - 1, j - 1)});
  return at(n, m) / double(n + m);
}

TEST(Synthesizer, EveryWordGetsAnOrderedSpanInsideTheAudio) {
  Synthesizer synth(fixed_voice());
  const auto s = synth.synthesize("the nurse gave ten milligrams of morphine", synth.draw_settings(0));
  ASSERT_EQ(s.words.size(), 7u);
  EXPECT_GT(s.seconds(), 1.0);
  double previous_end = 0;
  for (const auto& w : s.words) {
    EXPECT_GE(w.start, previous_end - 1e-9) << w.text;
    EXPECT_GT(w.end - w.start, 0.05) << w.text;
    EXPECT_LE(w.end, s.seconds() + 1e-9) << w.text;
    previous_end = w.end;
  }
  EXPECT_EQ(s.words[6].text, "morphine");
  // Long words take longer than short ones.
  EXPECT_GT(s.words[6].end - s.words[6].start, s.words[0].end - s.words[0].start);
}

// The audio cut by a word's timing is that word: it is closer (DTW on fbank)
// to the same word synthesized alone than to any other word of the sentence.
TEST(Synthesizer, CutWordAudioIsThatWord) {
  Synthesizer synth(fixed_voice());
  const auto settings = synth.draw_settings(0);
  const std::vector<std::string> words = {"elephant", "sugar", "information", "bicycle", "kitchen"};
  std::string sentence;
  for (const auto& w : words) sentence += (sentence.empty() ? "" : " ") + w;
  const auto s = synth.synthesize(sentence, settings);
  ASSERT_EQ(s.words.size(), words.size());
  Fbank fbank;
  std::vector<torch::Tensor> alone;
  for (const auto& w : words) {
    const auto single = synth.synthesize(w, settings);
    alone.push_back(fbank.compute(cut(single, single.words[0])));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    const auto piece = fbank.compute(cut(s, s.words[i]));
    std::vector<double> distance;
    for (const auto& a : alone) distance.push_back(dtw(piece, a));
    const size_t best = size_t(std::min_element(distance.begin(), distance.end()) - distance.begin());
    EXPECT_EQ(words[best], words[i]) << "the audio of '" << words[i] << "' sounds most like '" << words[best] << "'";
    // And it lasts about as long as the word said alone.
    const double ratio = double(piece.size(0)) / double(alone[i].size(0));
    EXPECT_GT(ratio, 0.6) << words[i];
    EXPECT_LT(ratio, 1.5) << words[i];
  }
}

TEST(Synthesizer, WordsMergedIntoOneEventShareItsSpan) {
  // espeak-ng reports "of the" as a single word event.
  Synthesizer synth(fixed_voice());
  const auto s = synth.synthesize("a fracture of the left wrist", synth.draw_settings(0));
  ASSERT_EQ(s.words.size(), 6u);
  EXPECT_TRUE(s.words[2].from_event);
  EXPECT_FALSE(s.words[3].from_event);
  EXPECT_GT(s.words[3].start, s.words[2].start);
  EXPECT_LE(s.words[3].end, s.words[4].start + 1e-9);
  EXPECT_TRUE(s.words[4].from_event);
}

TEST(Synthesizer, SettingsAreDrawnFromRangesAndRepeatWithTheSeed) {
  SynthesisOptions o;
  o.seed = 3;
  o.noise_probability = 0.5;
  Synthesizer a(o), b(o);
  std::set<std::string> voices;
  int noisy = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    const auto s = a.draw_settings(i), t = b.draw_settings(i);
    EXPECT_EQ(s.voice, t.voice);
    EXPECT_EQ(s.rate, t.rate);
    EXPECT_GE(s.rate, o.rate_min);
    EXPECT_LE(s.rate, o.rate_max);
    EXPECT_GE(s.pitch, o.pitch_min);
    EXPECT_LE(s.volume, o.volume_max);
    voices.insert(s.voice);
    if (s.snr_db > 0) {
      ++noisy;
      EXPECT_GE(s.snr_db, o.snr_db_min);
    }
  }
  EXPECT_GT(voices.size(), 20u);
  EXPECT_GT(noisy, 60);
  EXPECT_LT(noisy, 140);
  o.seed = 4;
  EXPECT_NE(Synthesizer(o).draw_settings(0).voice + std::to_string(Synthesizer(o).draw_settings(0).rate),
            a.draw_settings(0).voice + std::to_string(a.draw_settings(0).rate));
}

TEST(Synthesizer, EveryConfiguredVoiceSpeaks) {
  SynthesisOptions o;
  Synthesizer synth(o);
  for (const auto& voice : o.voices) {
    for (const std::string variant : {"", "f3", "klatt"}) {
      VoiceSettings s;
      s.voice = voice + (variant.empty() ? "" : "+" + variant);
      const auto out = synth.synthesize("hello world", s);
      EXPECT_EQ(out.words.size(), 2u) << s.voice;
      EXPECT_GT(out.seconds(), 0.3) << s.voice;
    }
  }
}

TEST(Synthesizer, VoicesAndNoiseChangeTheAudio) {
  Synthesizer synth(fixed_voice());
  VoiceSettings base;
  base.voice = "en-us";
  auto f3 = base, noisy = base;
  f3.voice = "en-us+f3";
  noisy.snr_db = 10;
  const auto a = synth.synthesize("good morning", base), b = synth.synthesize("good morning", f3),
             c = synth.synthesize("good morning", noisy);
  EXPECT_NE(a.samples, b.samples);
  EXPECT_NE(a.samples, c.samples);
  // Noise at 10 dB SNR on real speech: the difference has a tenth of the signal power.
  auto noised = a.samples;
  add_white_noise(noised, 10, 1);
  double signal = 0, noise = 0;
  for (size_t i = 0; i < a.samples.size(); ++i) {
    signal += double(a.samples[i]) * a.samples[i];
    noise += double(noised[i] - a.samples[i]) * (noised[i] - a.samples[i]);
  }
  EXPECT_NEAR(10 * std::log10(signal / noise), 10, 0.3);
}

TEST(Synthesizer, RecordsCarryEntitiesAndErrorsAreClear) {
  Synthesizer synth(fixed_voice());
  const auto r = synth.make_record("u1", "Take [[Aspirin|drug]] for 2 days.", 0);
  EXPECT_EQ(r.transcript(), "take aspirin for two days");
  ASSERT_EQ(r.entities_size(), 1);
  EXPECT_EQ(r.transcript().substr(r.entities(0).begin(), r.entities(0).end() - r.entities(0).begin()), "aspirin");
  EXPECT_EQ(r.entities(0).type(), "drug");
  EXPECT_EQ(r.words_size(), 5);
  EXPECT_TRUE(r.words(1).has_timing());
  EXPECT_EQ(r.sample_rate(), 16000u);
  EXPECT_EQ(r.engine(), "espeak-ng");
  VoiceSettings bad;
  bad.voice = "no-such-voice";
  EXPECT_THROW(synth.synthesize("hello", bad), SynthesisError);
  EXPECT_THROW(synth.synthesize("   ", synth.draw_settings(0)), SynthesisError);
  EXPECT_THROW(synth.make_record("u2", "take [[aspirin]] now", 0), std::invalid_argument);
  auto typo = fixed_voice();
  typo.variants = {"f3", "f33"};
  try {
    Synthesizer broken(typo);
    FAIL() << "unknown variant accepted";
  } catch (const SynthesisError& e) {
    EXPECT_NE(std::string(e.what()).find("+f33"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jstip::data

namespace jstip::data {
namespace {

TEST(Synthesizer, OptionsComeFromTheSynthesisConfigSection) {
  const auto root = host::parse_yaml(
      "synthesis:\n  voices: [en-us, en-gb-x-rp]\n  variants: [f3]\n  rate: [150, 160]\n  snr_db: [20, 25]\n"
      "  noise_probability: 0.25\n  seed: 9\n",
      "synth.yaml");
  const auto o = synthesis_options_from_config(Config(root, "").child("synthesis"));
  EXPECT_EQ(o.voices, (std::vector<std::string>{"en-us", "en-gb-x-rp"}));
  EXPECT_EQ(o.rate_min, 150);
  EXPECT_EQ(o.rate_max, 160);
  EXPECT_EQ(o.pitch_min, SynthesisOptions{}.pitch_min);  // absent keys keep defaults
  EXPECT_DOUBLE_EQ(o.snr_db_max, 25);
  EXPECT_DOUBLE_EQ(o.noise_probability, 0.25);
  EXPECT_EQ(o.seed, 9u);
  const auto bad = host::parse_yaml("synthesis:\n  rate: [190, 140]\n", "bad.yaml");
  try {
    synthesis_options_from_config(Config(bad, "").child("synthesis"));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.yaml:2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jstip::data
