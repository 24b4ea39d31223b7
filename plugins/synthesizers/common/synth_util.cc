#include "common/synth_util.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "host/data/resample.h"

namespace jstip::synth {

std::pair<int, int> int_range(const Config& config, const char* key) {
  const auto v = config.get_int_list(key);
  if (v.size() != 2 || v[0] > v[1])
    throw ConfigError(config.where(key) + ": " + key + " must be [min, max] with min <= max");
  return {int(v[0]), int(v[1])};
}

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty()) throw std::invalid_argument("synthesis: empty text");
  return words;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::vector<float> to_16k(const std::vector<short>& samples, int rate) {
  std::vector<float> native(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) native[i] = float(samples[i]) / 32768.0f;
  return jstip::data::resample(native, rate, kSynthesisSampleRate);
}

SilenceTrimmer::SilenceTrimmer(const std::vector<float>& samples, double silence_db)
    : samples_(int64_t(samples.size())) {
  const size_t frame = 160;
  float loudest = 0;
  for (size_t begin = 0; begin < samples.size(); begin += frame) {
    float sum = 0;  // a partial last frame counts its missing samples as zeros
    for (size_t i = begin; i < std::min(samples.size(), begin + frame); ++i) sum += samples[i] * samples[i];
    frame_rms_.push_back(std::sqrt(sum / float(frame)));
    loudest = std::max(loudest, frame_rms_.back());
  }
  threshold_ = float(double(loudest) * std::pow(10.0, silence_db / 20.0));
}

double SilenceTrimmer::sound_end(double start, double limit) const {
  const int64_t frame = 160;
  const auto begin = int64_t(start * kSynthesisSampleRate);
  const int64_t end = std::max(begin, std::min<int64_t>(samples_, int64_t(limit * kSynthesisSampleRate)));
  const int64_t first = begin / frame, last = std::min<int64_t>((end + frame - 1) / frame, int64_t(frame_rms_.size()));
  int64_t trimmed = end;  // all quiet: keep the span as is
  for (int64_t f = last - 1; f >= first; --f)
    if (frame_rms_[size_t(f)] > threshold_) {
      trimmed = std::min(end, (f + 1) * frame);
      break;
    }
  return std::max(start, double(trimmed) / kSynthesisSampleRate);
}

double SilenceTrimmer::sound_start(double start, double limit) const {
  const int64_t frame = 160;
  const auto begin = int64_t(start * kSynthesisSampleRate);
  const int64_t end = std::max(begin, std::min<int64_t>(samples_, int64_t(limit * kSynthesisSampleRate)));
  const int64_t last = std::min<int64_t>((end + frame - 1) / frame, int64_t(frame_rms_.size()));
  for (int64_t f = begin / frame; f < last; ++f)
    if (frame_rms_[size_t(f)] > threshold_)
      return std::min(std::max(start, double(f * frame) / kSynthesisSampleRate), std::max(start, limit));
  return start;  // all quiet: keep the start as is
}

void check_timings(const SynthesizedSpeech& speech, const std::string& engine, const std::string& text) {
  const auto words = split_words(text);
  const double seconds = double(speech.samples.size()) / kSynthesisSampleRate;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(engine + " (voice " + speech.voice + "): " + why + " for '" + text + "'");
  };
  if (speech.samples.empty()) fail("no audio");
  if (speech.words.size() != words.size())
    fail(std::to_string(speech.words.size()) + " timed words for " + std::to_string(words.size()) + " words");
  double previous = 0;
  for (size_t k = 0; k < words.size(); ++k) {
    const auto& w = speech.words[k];
    if (!(w.start >= previous - 1e-6 && w.end >= w.start && w.end <= seconds + 1e-9))
      fail("word " + std::to_string(k + 1) + " '" + w.text + "' has span [" + std::to_string(w.start) + ", " +
           std::to_string(w.end) + "] out of order or outside the audio (" + std::to_string(seconds) + " s)");
    previous = w.end;
  }
}

std::string draw_from(const std::vector<std::string>& items, uint64_t& state) {
  state = splitmix64(state);
  return items[state % items.size()];
}

std::vector<bool> fill_missing_starts(std::vector<double>& starts, const std::vector<std::string>& words,
                                      double total) {
  std::vector<bool> estimated(words.size(), false);
  for (size_t k = 0; k < words.size();) {
    size_t run_end = k + 1;
    while (run_end < words.size() && starts[run_end] < 0) ++run_end;
    if (run_end > k + 1) {
      const double span_end = run_end < words.size() ? starts[run_end] : total;
      double chars = 0;
      for (size_t j = k; j < run_end; ++j) chars += double(words[j].size() + 1);
      double t = starts[k];
      for (size_t j = k; j < run_end; ++j) {
        starts[j] = t;
        estimated[j] = j > k;  // the first keeps its own start
        t += (span_end - starts[k]) * double(words[j].size() + 1) / chars;
      }
    }
    k = run_end;
  }
  return estimated;
}

}  // namespace jstip::synth
