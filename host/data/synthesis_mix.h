// Text -> speech records through a weighted mix of synthesizer plugins
// (espeak-ng, mbrola, flite, festival; plugins/synthesizers/). Per utterance
// the engine, and through the plugin's seed its voice and prosody, are a pure
// function of (seed, index), so a corpus is reproducible; optional white
// noise at a random SNR. Records carry the engine and the voice.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "host/data/shard_file.h"
#include "jstip/config.h"
#include "jstip/synthesizer.h"

namespace jstip::host {
class PluginRegistry;
}

namespace jstip::data {

class SynthesisError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct EngineChoice {
  std::string engine;  // synthesizer plugin name
  double weight = 1;   // share of utterances (normalized over the mix)
  Config options;      // the plugin's options (checked against its schema)
};

struct SynthesisOptions {
  std::vector<EngineChoice> engines;  // empty: espeak-ng with its defaults
  double noise_probability = 0;       // share of utterances with additive white noise
  double snr_db_min = 15, snr_db_max = 35;
  uint64_t seed = 0;
  std::vector<std::string> plugin_paths;  // extra plugin folders
};

// The `synthesis` config section. Either a mix,
//   engines: [{type: espeak-ng, weight: 0.4, variants: [f3]}, {type: flite, weight: 0.3}, ...]
// or, without `engines`, espeak-ng alone with the section's other keys as
// its options (voices, variants, rate, ...: the format before the mix).
// Common keys: seed, noise_probability, snr_db, plugin_paths.
SynthesisOptions synthesis_options_from_config(const Config& section);

// Adds white Gaussian noise at `snr_db` relative to the signal's mean power.
void add_white_noise(std::vector<float>& samples, double snr_db, uint64_t seed);

// Which package to install for a synthesizer engine ("" for unknown ones).
std::string engine_install_hint(const std::string& engine);

struct UtteranceDraw {
  size_t engine = 0;   // index into the mix
  uint64_t seed = 0;   // the plugin's seed: voice and prosody
  double snr_db = 0;   // 0: no noise
};

struct MixedSpeech {
  std::string engine;
  SynthesizedSpeech speech;  // 16 kHz, one span per word
  double snr_db = 0;
  double seconds() const { return double(speech.samples.size()) / kSynthesisSampleRate; }
};

class SynthesisMix {
 public:
  // Loads each engine's plugin (from `registry`, else the default plugin
  // folders plus plugin_paths); a missing one is an error naming the package.
  explicit SynthesisMix(SynthesisOptions options, std::shared_ptr<const host::PluginRegistry> registry = nullptr);
  ~SynthesisMix();

  UtteranceDraw draw(uint64_t index) const;  // pure function of (seed, index)

  // `text` must be normalized (text_normalizer.h). The drawn engine/voice, or
  // a given engine and voice ("" = drawn from `seed`).
  MixedSpeech synthesize(const std::string& text, uint64_t index) const;
  MixedSpeech synthesize(const std::string& text, const std::string& engine, const std::string& voice,
                         uint64_t seed) const;

  // Raw markup text ("[[aspirin|drug]]") -> a full record: normalized
  // transcript, the text as written (markup stripped), inline 16 kHz audio,
  // timed words with their written forms, entities, engine, voice.
  Utterance make_record(const std::string& id, const std::string& marked_text, uint64_t index) const;

  std::vector<std::string> engines() const;                      // in mix order
  std::vector<std::string> voices(const std::string& engine) const;
  const SynthesisOptions& options() const { return options_; }

 private:
  size_t engine_index(const std::string& engine) const;
  SynthesisOptions options_;
  std::vector<std::shared_ptr<Synthesizer>> synthesizers_;  // parallel to options_.engines
  std::vector<double> cumulative_;                          // normalized cumulative weights
};

}  // namespace jstip::data
