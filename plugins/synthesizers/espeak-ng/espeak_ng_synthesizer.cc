// `espeak-ng`: formant speech from espeak-ng's C API. Word starts are the
// audio positions of its WORD events, matched to words by character position;
// a word ends where its sound ends (before the next word, trailing silence
// cut). espeak-ng merges some short words into one event ("of the"): such a
// run shares the span by characters, confidence 0.5.
//
// Determinism: voice and prosody are a function of the seed, but espeak-ng's
// wave generator keeps its pitch-flutter phase in function statics that no
// API resets, so an utterance's exact samples (and a few ms of its timings)
// also depend on what the process said before. A corpus is reproducible:
// the same requests in the same order in a fresh process give the same bytes.
#include <algorithm>
#include <filesystem>
#include <random>
#include <stdexcept>

#include <espeak-ng/speak_lib.h>

#include "common/espeak_session.h"
#include "common/synth_util.h"
#include "jstip/plugin.h"
#include "jstip/synthesizer.h"

namespace {

using namespace jstip::synth;

size_t utf8_chars(const std::string& s, size_t begin, size_t end) {
  size_t n = 0;
  for (size_t i = begin; i < end; ++i)
    if ((uint8_t(s[i]) & 0xC0) != 0x80) ++n;
  return n;
}

class EspeakNgSynthesizer : public jstip::Synthesizer {
 public:
  explicit EspeakNgSynthesizer(const jstip::Config& config)
      : voices_(config.get_string_list("voices")),
        variants_(config.get_string_list("variants")),
        rate_(int_range(config, "rate")),
        pitch_(int_range(config, "pitch")),
        volume_(int_range(config, "volume")),
        silence_db_(config.get_double("silence_threshold_db")) {
    if (voices_.empty()) throw std::invalid_argument(config.where("voices") + ": no voices configured");
    if (variants_.empty()) variants_ = {""};
    // Refuse unknown voices now rather than at utterance 12,345.
    std::string unknown;
    for (const auto& voice : voices_)
      if (!espeak_try_voice(voice)) unknown += (unknown.empty() ? "" : ", ") + voice;
    // espeak-ng ignores an unknown variant silently: look for its file.
    const std::string data_dir = espeak_data_dir();
    for (const auto& variant : variants_)
      if (!variant.empty() && !data_dir.empty() && !std::filesystem::exists(data_dir + "/voices/!v/" + variant))
        unknown += (unknown.empty() ? "+" : ", +") + variant;
    if (!unknown.empty())
      throw std::invalid_argument("espeak-ng: unknown voices: " + unknown +
                                  " (see `espeak-ng --voices=en` and `espeak-ng --voices=variant`)");
  }

  std::vector<std::string> voices() const override {
    std::vector<std::string> all;
    for (const auto& voice : voices_)
      for (const auto& variant : variants_) all.push_back(variant.empty() ? voice : voice + "+" + variant);
    return all;
  }

  jstip::SynthesizedSpeech synthesize(const jstip::SynthesisRequest& request) const override {
    // The draw order (voice, variant, rate, pitch, volume) is the one corpora
    // were made with before this became a plugin: same seed, same speech.
    std::mt19937_64 rng(request.seed);
    auto pick = [&](std::pair<int, int> r) { return std::uniform_int_distribution<int>(r.first, r.second)(rng); };
    std::string voice = voices_[rng() % voices_.size()];
    const std::string& variant = variants_[rng() % variants_.size()];
    if (!variant.empty()) voice += "+" + variant;
    EspeakParameters p;
    p.rate = pick(rate_);
    p.pitch = pick(pitch_);
    p.volume = pick(volume_);
    if (!request.voice.empty()) voice = request.voice;

    const std::string& text = request.text;
    const auto words = split_words(text);
    const EspeakOutput raw = espeak_say(voice, p, text);
    if (raw.samples.empty()) throw std::runtime_error("espeak-ng: no audio for '" + text + "'");
    jstip::SynthesizedSpeech out;
    out.voice = voice;
    out.settings = {{"rate", std::to_string(p.rate)}, {"pitch", std::to_string(p.pitch)},
                    {"volume", std::to_string(p.volume)}};
    out.samples = to_16k(raw.samples, raw.sample_rate);

    // Word starts from the events, matched to words by character position.
    std::vector<double> starts(words.size(), -1);
    std::vector<std::pair<size_t, size_t>> char_spans;  // [begin, end) characters, 0-based
    size_t byte = 0;
    for (const auto& w : words) {
      byte = text.find(w, byte);
      const size_t begin = utf8_chars(text, 0, byte);
      char_spans.push_back({begin, begin + utf8_chars(w, 0, w.size())});
      byte += w.size();
    }
    std::string seen;
    for (const auto& e : raw.events) {
      if (e.type != espeakEVENT_WORD) continue;
      seen += " " + std::to_string(e.text_position) + "@" + std::to_string(e.audio_ms) + "ms";
      const size_t pos = size_t(std::max(0, e.text_position - 1));
      for (size_t k = 0; k < words.size(); ++k)
        if (pos >= char_spans[k].first && pos < char_spans[k].second && starts[k] < 0) starts[k] = e.audio_ms / 1000.0;
    }
    if (starts[0] < 0)  // seen after voice switches without synthesis; the audio is then suspect too
      throw std::runtime_error("espeak-ng: no word event for the first word '" + words[0] + "' in '" + text +
                               "' (word events at characters:" + (seen.empty() ? " none" : seen) + ")");
    const double total = double(out.samples.size()) / jstip::kSynthesisSampleRate;
    const std::vector<bool> estimated = fill_missing_starts(starts, words, total);
    const SilenceTrimmer trimmer(out.samples, silence_db_);
    for (size_t k = 0; k < words.size(); ++k) {
      const double next = k + 1 < words.size() ? starts[k + 1] : total;
      out.words.push_back({words[k], starts[k], trimmer.sound_end(starts[k], next), estimated[k] ? 0.5f : 1.0f});
    }
    check_timings(out, "espeak-ng", text);
    return out;
  }

 private:
  std::vector<std::string> voices_, variants_;
  std::pair<int, int> rate_, pitch_, volume_;
  double silence_db_;
};

const jstip_option_desc kOptions[] = {
    {"voices", JSTIP_OPT_STRING_LIST, "[en-us, en, en-gb-x-rp, en-gb-scotland, en-029, en-gb-x-gbclan]",
     "espeak-ng voices (`espeak-ng --voices=en`)"},
    {"variants", JSTIP_OPT_STRING_LIST, "[\"\", m1, m2, m3, m4, f1, f2, f3, f4, klatt, klatt3]",
     "variants combined with every voice (\"en-us+f3\"); \"\" is the voice's own"},
    {"rate", JSTIP_OPT_INT_LIST, "[140, 190]", "words per minute, [min, max] drawn per utterance"},
    {"pitch", JSTIP_OPT_INT_LIST, "[30, 70]", "0-100, [min, max]"},
    {"volume", JSTIP_OPT_INT_LIST, "[80, 120]", "0-200, [min, max]"},
    {"silence_threshold_db", JSTIP_OPT_FLOAT, "-45", "word ends: last 10 ms frame above this (re. loudest frame)"},
};

}  // namespace

JSTIP_PLUGIN(EspeakNgSynthesizer, "synthesizer", "espeak-ng", "1.0.0",
             "espeak-ng formant speech, word starts from its WORD events", kOptions)
