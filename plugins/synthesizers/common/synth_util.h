// Helpers every synthesizer plugin uses: words of a normalized text, seeds,
// 16-bit audio to 16 kHz floats, and word ends at the end of their sound.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "jstip/config.h"
#include "jstip/synthesizer.h"

namespace jstip::synth {

// An option given as [min, max] (min <= max), e.g. rate: [140, 190].
std::pair<int, int> int_range(const Config& config, const char* key);

std::vector<std::string> split_words(const std::string& text);  // on spaces; throws on none

uint64_t splitmix64(uint64_t x);

// Words without a start of their own (< 0) share the span from the previous
// start to the next one (or `total`) by characters; returns which were estimated.
// starts[0] must be set.
std::vector<bool> fill_missing_starts(std::vector<double>& starts, const std::vector<std::string>& words,
                                      double total);

// int16 samples at `rate` -> floats in [-1, 1] at 16 kHz (soxr, the host's resampler).
std::vector<float> to_16k(const std::vector<short>& samples, int rate);

// Word ends at the last 10 ms frame louder than `silence_db` (re. the loudest
// frame) before `limit` seconds, for engines that only report word starts;
// sound_start is the mirror image: the first such frame at or after `start`.
class SilenceTrimmer {
 public:
  SilenceTrimmer(const std::vector<float>& samples_16k, double silence_db);
  double sound_end(double start, double limit) const;    // seconds, in [start, limit]
  double sound_start(double start, double limit) const;  // seconds, in [start, limit]; start when all quiet

 private:
  std::vector<float> frame_rms_;
  float threshold_ = 0;
  int64_t samples_ = 0;
};

// Common checks on a plugin's result: one word per request word, spans in
// order inside the audio. Throws naming the engine and text.
void check_timings(const SynthesizedSpeech& speech, const std::string& engine, const std::string& text);

std::string draw_from(const std::vector<std::string>& items, uint64_t& state);

}  // namespace jstip::synth
