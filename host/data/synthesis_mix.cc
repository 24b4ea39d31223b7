#include "host/data/synthesis_mix.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "host/data/audio_io.h"
#include "host/data/entity_markup.h"
#include "host/data/text_normalizer.h"
#include "host/runtime/plugin_registry.h"

namespace jstip::data {
namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

double unit(uint64_t x) { return double(splitmix64(x) >> 11) * 0x1.0p-53; }

// The section without the keys named: an engine's own options.
Config without(const Config& section, const std::vector<std::string>& keys) {
  auto node = section.node()->clone();
  auto& fields = node->fields;
  fields.erase(std::remove_if(fields.begin(), fields.end(),
                              [&](const auto& f) { return std::find(keys.begin(), keys.end(), f.first) != keys.end(); }),
               fields.end());
  return Config(node, section.path());
}

}  // namespace

std::string engine_install_hint(const std::string& engine) {
  if (engine == "espeak-ng") return "apt-get install espeak-ng libespeak-ng-dev, then rebuild jstip";
  if (engine == "mbrola")
    return "apt-get install libespeak-ng-dev mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1 (Debian contrib/non-free: "
           "scripts/install-deps.sh adds those components), then rebuild jstip";
  if (engine == "flite") return "apt-get install flite flite1-dev, then rebuild jstip (the plugin needs flite's headers)";
  if (engine == "festival") return "apt-get install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts";
  return "";
}

SynthesisOptions synthesis_options_from_config(const Config& section) {
  SynthesisOptions o;
  o.noise_probability = section.get_double("noise_probability", o.noise_probability);
  if (section.has("snr_db")) {
    auto v = section.get_double_list("snr_db");
    if (v.size() != 2 || v[0] > v[1]) throw ConfigError(section.where("snr_db") + ": snr_db must be [min, max]");
    o.snr_db_min = v[0];
    o.snr_db_max = v[1];
  }
  o.seed = uint64_t(section.get_int("seed", int64_t(o.seed)));
  if (section.has("plugin_paths")) o.plugin_paths = section.get_string_list("plugin_paths");
  const std::vector<std::string> common = {"seed", "noise_probability", "snr_db", "plugin_paths", "engines"};
  if (!section.has("engines")) {
    o.engines.push_back({"espeak-ng", 1.0, without(section, common)});
    return o;
  }
  for (const Config& engine : section.list("engines")) {
    if (!engine.has("type"))
      throw ConfigError(engine.where() + ": each synthesis engine needs `type` (espeak-ng, mbrola, flite, festival)");
    EngineChoice choice{engine.get_string("type"), engine.get_double("weight", 1.0), without(engine, {"type", "weight"})};
    if (!(choice.weight > 0)) throw ConfigError(engine.where("weight") + ": weight must be > 0");
    o.engines.push_back(std::move(choice));
  }
  if (o.engines.empty()) throw ConfigError(section.where("engines") + ": no engines listed");
  return o;
}

void add_white_noise(std::vector<float>& samples, double snr_db, uint64_t seed) {
  if (samples.empty()) return;
  double power = 0;
  for (float s : samples) power += double(s) * s;
  power /= double(samples.size());
  const double noise_std = std::sqrt(power / std::pow(10.0, snr_db / 10.0));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise_std);
  for (float& s : samples) s = float(std::clamp(double(s) + normal(rng), -1.0, 1.0));
}

SynthesisMix::SynthesisMix(SynthesisOptions options, std::shared_ptr<const host::PluginRegistry> registry)
    : options_(std::move(options)) {
  if (options_.engines.empty()) options_.engines.push_back({"espeak-ng", 1.0, Config()});
  if (options_.snr_db_min > options_.snr_db_max) throw SynthesisError("synthesis: snr_db has min > max");
  if (!registry) {
    auto folders = host::PluginRegistry::default_folders();
    folders.insert(folders.end(), options_.plugin_paths.begin(), options_.plugin_paths.end());
    registry = host::PluginRegistry::scan(folders);
  }
  double total = 0;
  for (const auto& e : options_.engines) {
    for (const auto& other : options_.engines)
      if (&other != &e && other.engine == e.engine)
        throw SynthesisError("synthesis: engine '" + e.engine + "' is listed twice; list its voices once");
    try {
      synthesizers_.push_back(registry->create_as<Synthesizer>(e.engine, kKindSynthesizer, e.options));
    } catch (const host::PluginError& error) {
      const std::string hint = engine_install_hint(e.engine);
      throw SynthesisError("synthesis engine '" + e.engine + "': " + error.what() +
                           (hint.empty() ? "" : "\n  to install it: " + hint));
    }
    total += e.weight;
  }
  double running = 0;
  for (const auto& e : options_.engines) cumulative_.push_back((running += e.weight) / total);
  cumulative_.back() = 1.0;
}

SynthesisMix::~SynthesisMix() = default;

UtteranceDraw SynthesisMix::draw(uint64_t index) const {
  UtteranceDraw d;
  // The plugin's seed is what espeak-ng-only corpora used for their voice draw.
  d.seed = splitmix64(options_.seed * 0x100000001B3ull + index);
  if (cumulative_.size() > 1) {
    const double u = unit(d.seed ^ 0x656E67696E65ull);  // "engine"
    d.engine = size_t(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin());
    d.engine = std::min(d.engine, cumulative_.size() - 1);
  }
  if (unit(d.seed ^ 0x6E6F697365ull) < options_.noise_probability) {  // "noise"
    const double snr = options_.snr_db_min + (options_.snr_db_max - options_.snr_db_min) * unit(d.seed ^ 0x736E72ull);
    d.snr_db = std::max(snr, 1e-3);
  }
  return d;
}

size_t SynthesisMix::engine_index(const std::string& engine) const {
  for (size_t i = 0; i < options_.engines.size(); ++i)
    if (options_.engines[i].engine == engine) return i;
  throw SynthesisError("synthesis: engine '" + engine + "' is not in the mix");
}

MixedSpeech SynthesisMix::synthesize(const std::string& text, uint64_t index) const {
  const UtteranceDraw d = draw(index);
  MixedSpeech out = synthesize(text, options_.engines[d.engine].engine, "", d.seed);
  if (d.snr_db > 0) {
    add_white_noise(out.speech.samples, d.snr_db, splitmix64(d.seed ^ 0x6E6F697365ull));
    out.snr_db = d.snr_db;
  }
  return out;
}

MixedSpeech SynthesisMix::synthesize(const std::string& text, const std::string& engine, const std::string& voice,
                                     uint64_t seed) const {
  const size_t i = engine_index(engine);
  if (split_words(text).empty()) throw SynthesisError("synthesis: empty text");
  MixedSpeech out;
  out.engine = engine;
  try {
    out.speech = synthesizers_[i]->synthesize({text, voice, seed});
  } catch (const std::exception& e) {
    throw SynthesisError(e.what());
  }
  return out;
}

Utterance SynthesisMix::make_record(const std::string& id, const std::string& marked_text, uint64_t index) const {
  const MarkedText marked = parse_entity_markup(marked_text);
  const MixedSpeech mixed = synthesize(marked.text, index);
  const SynthesizedSpeech& speech = mixed.speech;
  Utterance record;
  record.set_id(id);
  record.set_pcm16(to_pcm16(speech.samples));
  record.set_sample_rate(kSampleRate);
  record.set_transcript(marked.text);
  record.set_written(marked.written);
  if (speech.words.size() != marked.written_words.size())
    throw SynthesisError("synthesis engine '" + mixed.engine + "' timed " + std::to_string(speech.words.size()) +
                         " words of the " + std::to_string(marked.written_words.size()) + " in '" + marked.text + "'");
  for (size_t k = 0; k < speech.words.size(); ++k) {
    const auto& w = speech.words[k];
    auto* word = record.add_words();
    word->set_text(w.text);
    word->set_written(marked.written_words[k]);
    word->set_start(w.start);
    word->set_end(w.end);
    word->set_has_timing(true);
    word->set_confidence(w.confidence);
  }
  for (const auto& e : marked.entities) {
    auto* span = record.add_entities();
    span->set_begin(uint32_t(e.begin));
    span->set_end(uint32_t(e.end));
    span->set_type(e.type);
  }
  record.set_speaker(speech.voice);
  record.set_engine(mixed.engine);
  auto& meta = *record.mutable_metadata();
  for (const auto& [key, value] : speech.settings) meta[key] = value;
  if (mixed.snr_db > 0) meta["snr_db"] = std::to_string(mixed.snr_db);
  return record;
}

std::vector<std::string> SynthesisMix::engines() const {
  std::vector<std::string> names;
  for (const auto& e : options_.engines) names.push_back(e.engine);
  return names;
}

std::vector<std::string> SynthesisMix::voices(const std::string& engine) const {
  return synthesizers_[engine_index(engine)]->voices();
}

}  // namespace jstip::data
