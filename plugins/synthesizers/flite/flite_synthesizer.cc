// `flite`: CMU Flite through its C API, voices slt, rms, awb (statistical)
// and kal16 (diphone). Word spans are exact, from the utterance structure:
// each token (one request word; its Word daughters) starts where the segment
// before its first segment ends and ends with its last segment.
#include <flite/flite.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>

#include "common/synth_util.h"
#include "jstip/plugin.h"
#include "jstip/synthesizer.h"

extern "C" {
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
void unregister_cmu_us_slt(cst_voice* voice);
void unregister_cmu_us_rms(cst_voice* voice);
void unregister_cmu_us_awb(cst_voice* voice);
void unregister_cmu_us_kal16(cst_voice* voice);
}

namespace {

using namespace jstip::synth;

// flite voices carry per-call settings in their feature sets: one call at a time.
std::mutex& flite_mutex() {
  static std::mutex mutex;
  return mutex;
}

// The voices registered so far, unregistered when the plugin is unloaded (else
// each voice's features outlive the plugin: LeakSanitizer reports them).
struct RegisteredVoices {
  std::map<std::string, std::pair<cst_voice*, void (*)(cst_voice*)>> voices;
  ~RegisteredVoices() {
    for (auto& [name, voice] : voices) voice.second(voice.first);
  }
};

cst_voice* flite_voice(const std::string& name) {  // call with flite_mutex() held
  static RegisteredVoices registered;
  static bool initialized = false;
  if (!initialized) {
    flite_init();
    initialized = true;
  }
  auto it = registered.voices.find(name);
  if (it != registered.voices.end()) return it->second.first;
  std::pair<cst_voice*, void (*)(cst_voice*)> voice{nullptr, nullptr};
  if (name == "slt") voice = {register_cmu_us_slt(nullptr), unregister_cmu_us_slt};
  else if (name == "rms") voice = {register_cmu_us_rms(nullptr), unregister_cmu_us_rms};
  else if (name == "awb") voice = {register_cmu_us_awb(nullptr), unregister_cmu_us_awb};
  else if (name == "kal16") voice = {register_cmu_us_kal16(nullptr), unregister_cmu_us_kal16};
  else throw std::invalid_argument("flite: unknown voice '" + name + "' (this plugin has slt, rms, awb, kal16)");
  if (!voice.first) throw std::runtime_error("flite: voice '" + name + "' failed to register");
  registered.voices[name] = voice;
  return voice.first;
}

class FliteSynthesizer : public jstip::Synthesizer {
 public:
  explicit FliteSynthesizer(const jstip::Config& config)
      : voices_(config.get_string_list("voices")), stretch_(config.get_double_list("duration_stretch")) {
    if (voices_.empty()) throw std::invalid_argument(config.where("voices") + ": no voices configured");
    if (stretch_.size() != 2 || stretch_[0] > stretch_[1] || stretch_[0] <= 0)
      throw jstip::ConfigError(config.where("duration_stretch") + ": duration_stretch must be [min, max], 0 < min <= max");
    std::lock_guard<std::mutex> lock(flite_mutex());
    for (const auto& v : voices_) flite_voice(v);
  }

  std::vector<std::string> voices() const override { return voices_; }

  jstip::SynthesizedSpeech synthesize(const jstip::SynthesisRequest& request) const override {
    std::mt19937_64 rng(request.seed);
    std::string voice_name = voices_[rng() % voices_.size()];
    const double stretch = std::uniform_real_distribution<double>(stretch_[0], stretch_[1])(rng);
    if (!request.voice.empty()) voice_name = request.voice;
    if (std::find(voices_.begin(), voices_.end(), voice_name) == voices_.end())
      throw std::invalid_argument("flite: voice '" + voice_name + "' is not one of this synthesizer's voices");
    const auto words = split_words(request.text);

    std::vector<short> samples;
    int rate = 0;
    std::vector<std::pair<double, double>> spans;
    {
      std::lock_guard<std::mutex> lock(flite_mutex());
      cst_voice* voice = flite_voice(voice_name);
      feat_set_float(voice->features, "duration_stretch", float(stretch));
      // The statistical voices draw their excitation noise from rand(): seed
      // it, so the same request gives the same samples whatever came before.
      std::srand(unsigned(splitmix64(request.seed)));
      cst_utterance* utt = flite_synth_text(request.text.c_str(), voice);
      if (!utt) throw std::runtime_error("flite (voice " + voice_name + "): synthesis failed for '" + request.text + "'");
      const cst_wave* wave = utt_wave(utt);
      if (wave && wave->num_samples > 0) {
        samples.assign(wave->samples, wave->samples + wave->num_samples);
        rate = wave->sample_rate;
      }
      // Tokens are the request's words ("usa" may be said as several words).
      for (cst_item* t = relation_head(utt_relation(utt, "Token")); t; t = item_next(t))
        spans.push_back({ffeature_float(t, "daughter1.R:SylStructure.daughter1.daughter1.R:Segment.p.end"),
                         ffeature_float(t, "daughtern.R:SylStructure.daughtern.daughtern.R:Segment.end")});
      delete_utterance(utt);
    }
    if (samples.empty()) throw std::runtime_error("flite (voice " + voice_name + "): no audio for '" + request.text + "'");
    if (spans.size() != words.size())
      throw std::runtime_error("flite (voice " + voice_name + "): " + std::to_string(spans.size()) +
                               " tokens in its Token relation for " + std::to_string(words.size()) + " in '" +
                               request.text + "'");
    jstip::SynthesizedSpeech out;
    out.voice = voice_name;
    out.settings = {{"duration_stretch", std::to_string(stretch)}};
    out.samples = to_16k(samples, rate);
    const double total = double(out.samples.size()) / jstip::kSynthesisSampleRate;
    for (size_t k = 0; k < words.size(); ++k) {
      const double start = std::min(double(spans[k].first), total);
      out.words.push_back({words[k], start, std::clamp(double(spans[k].second), start, total), 1.0f});
    }
    check_timings(out, "flite", request.text);
    return out;
  }

 private:
  std::vector<std::string> voices_;
  std::vector<double> stretch_;
};

const jstip_option_desc kOptions[] = {
    {"voices", JSTIP_OPT_STRING_LIST, "[slt, rms, awb, kal16]", "flite voices (slt, rms, awb, kal16)"},
    {"duration_stretch", JSTIP_OPT_FLOAT_LIST, "[0.9, 1.15]", "speaking-time factor, [min, max] drawn per utterance"},
};

}  // namespace

JSTIP_PLUGIN(FliteSynthesizer, "synthesizer", "flite", "1.0.0",
             "CMU Flite (C API), exact word spans from the utterance's Word relation", kOptions)
