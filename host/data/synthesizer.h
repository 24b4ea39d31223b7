// Text -> speech with word timings, using espeak-ng's C API: its WORD events
// carry the audio position where each word starts. Voices, variants, rate,
// pitch and volume are drawn per utterance from configured ranges with a
// seed, so a corpus is reproducible; optional white noise at a random SNR.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/data/shard_file.h"

namespace jstip {
class Config;
}

namespace jstip::data {

class SynthesisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct SynthesisOptions {
  // espeak-ng voice names and variants ("en-us" + "f3" -> "en-us+f3"); an
  // empty variant is the voice's own.
  std::vector<std::string> voices = {"en-us", "en", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan"};
  std::vector<std::string> variants = {"", "m1", "m2", "m3", "m4", "f1", "f2", "f3", "f4", "klatt", "klatt3"};
  int rate_min = 140, rate_max = 190;     // words per minute (espeak default 175)
  int pitch_min = 30, pitch_max = 70;     // 0-100 (default 50)
  int volume_min = 80, volume_max = 120;  // 0-200 (default 100)
  double noise_probability = 0;           // share of utterances with additive white noise
  double snr_db_min = 15, snr_db_max = 35;
  double silence_threshold_db = -45;      // word ends: last 10 ms frame above this (re. loudest frame)
  uint64_t seed = 0;
};

// Reads the `synthesis` section of a config (keys as in SynthesisOptions;
// absent keys keep their defaults).
SynthesisOptions synthesis_options_from_config(const Config& config);

struct VoiceSettings {
  std::string voice;  // "en-us+f3"
  int rate = 175, pitch = 50, volume = 100;
  double snr_db = 0;  // 0: no noise
};

struct TimedWord {
  std::string text;
  double start = 0, end = 0;  // seconds
  // false: espeak-ng gave one event for several words ("of the") and this
  // word's start was estimated by character share (record confidence 0.5).
  bool from_event = true;
};

struct Synthesis {
  std::vector<float> samples;  // 16 kHz mono in [-1, 1]
  std::vector<TimedWord> words;
  VoiceSettings settings;
  double seconds() const { return double(samples.size()) / 16000.0; }
};

// Adds white Gaussian noise at `snr_db` relative to the signal's mean power.
void add_white_noise(std::vector<float>& samples, double snr_db, uint64_t seed);

class Synthesizer {
 public:
  explicit Synthesizer(SynthesisOptions options = {});

  // Settings for utterance `index`: a pure function of (seed, index).
  VoiceSettings draw_settings(uint64_t index) const;

  // `text` must be normalized (text_normalizer.h); its words are the
  // space-separated tokens and each gets a time span. espeak-ng is a
  // process-wide engine: calls are serialized.
  Synthesis synthesize(const std::string& text, const VoiceSettings& settings) const;

  // Raw markup text ("[[aspirin|drug]]") -> a full record: normalized
  // transcript, inline 16 kHz audio, timed words, entities, voice.
  Utterance make_record(const std::string& id, const std::string& marked_text, uint64_t index) const;

  const SynthesisOptions& options() const { return options_; }

 private:
  SynthesisOptions options_;
};

}  // namespace jstip::data
