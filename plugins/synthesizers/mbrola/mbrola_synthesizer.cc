// `mbrola`: diphone voices made from human recordings, driven through
// espeak-ng ("mb-us1"), which shares its process-wide engine with the
// espeak-ng plugin (common/espeak_session.h). With mbrola voices espeak-ng
// gives a WORD event for the first word only, so word starts come from the
// first phoneme event of each word (events with a text position); those run
// a constant 1,000 samples (62.5 ms at 16 kHz; espeak-ng's mbrola_delay)
// behind the audio, which is taken off: measured, that puts every word start
// on its first phoneme in the .pho timeline mbrola plays, to the sample.
// The first word starts where its sound starts (see below); words end where
// their sound ends, as in the espeak-ng plugin.
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
namespace fs = std::filesystem;

class MbrolaSynthesizer : public jstip::Synthesizer {
 public:
  explicit MbrolaSynthesizer(const jstip::Config& config)
      : voices_(config.get_string_list("voices")),
        rate_(int_range(config, "rate")),
        pitch_(int_range(config, "pitch")),
        delay_s_(config.get_double("event_delay_ms") / 1000.0),
        silence_db_(config.get_double("silence_threshold_db")) {
    if (voices_.empty()) throw std::invalid_argument(config.where("voices") + ": no voices configured");
    const std::string program = config.get_string("program"), dir = config.get_string("voice_dir");
    if (!fs::exists(program))
      throw std::runtime_error("mbrola: " + program + " not found: apt-get install mbrola (Debian contrib; "
                               "scripts/install-deps.sh adds that component)");
    for (const auto& voice : voices_) {
      if (!fs::exists(fs::path(dir) / voice / voice))
        throw std::runtime_error("mbrola: voice '" + voice + "' not found at " + (fs::path(dir) / voice / voice).string() +
                                 ": apt-get install mbrola-" + voice + " (Debian contrib/non-free; "
                                 "scripts/install-deps.sh adds those components)");
      if (!espeak_try_voice("mb-" + voice))
        throw std::runtime_error("mbrola: espeak-ng has no voice 'mb-" + voice + "' (apt-get install espeak-ng-data)");
    }
  }

  std::vector<std::string> voices() const override { return voices_; }

  jstip::SynthesizedSpeech synthesize(const jstip::SynthesisRequest& request) const override {
    std::mt19937_64 rng(request.seed);
    auto pick = [&](std::pair<int, int> r) { return std::uniform_int_distribution<int>(r.first, r.second)(rng); };
    std::string voice = voices_[rng() % voices_.size()];
    EspeakParameters p;
    p.rate = pick(rate_);
    p.pitch = pick(pitch_);
    if (!request.voice.empty()) voice = request.voice;
    if (std::find(voices_.begin(), voices_.end(), voice) == voices_.end())
      throw std::invalid_argument("mbrola: voice '" + voice + "' is not one of this synthesizer's voices");

    const std::string& text = request.text;
    const auto words = split_words(text);
    const EspeakOutput raw = espeak_say("mb-" + voice, p, text);
    if (raw.samples.empty()) throw std::runtime_error("mbrola (voice " + voice + "): no audio for '" + text + "'");
    jstip::SynthesizedSpeech out;
    out.voice = voice;
    out.settings = {{"rate", std::to_string(p.rate)}, {"pitch", std::to_string(p.pitch)}};
    out.samples = to_16k(raw.samples, raw.sample_rate);
    const double total = double(out.samples.size()) / jstip::kSynthesisSampleRate;

    // Byte offset of each word; text is ASCII-compatible UTF-8 and espeak-ng
    // counts characters, so map characters to bytes.
    std::vector<size_t> word_char_begin, word_char_end;
    size_t byte = 0;
    auto chars_before = [&](size_t b) {
      size_t n = 0;
      for (size_t i = 0; i < b; ++i) n += (uint8_t(text[i]) & 0xC0) != 0x80;
      return n;
    };
    for (const auto& w : words) {
      byte = text.find(w, byte);
      word_char_begin.push_back(chars_before(byte));
      word_char_end.push_back(chars_before(byte + w.size()));
      byte += w.size();
    }
    std::vector<double> starts(words.size(), -1);
    for (const auto& e : raw.events) {
      if (e.type != espeakEVENT_PHONEME || e.text_position <= 0) continue;
      const size_t pos = size_t(e.text_position - 1);
      for (size_t k = 0; k < words.size(); ++k)
        if (pos >= word_char_begin[k] && pos < word_char_end[k] && starts[k] < 0)
          starts[k] = std::max(0.0, double(e.sample) / raw.sample_rate - delay_s_);
    }
    if (starts[0] < 0) starts[0] = 0;  // the first word starts the audio
    // ... where its sound starts: espeak-ng sends mbrola no pause before the
    // first phoneme, so a word-initial stop opens the audio with its closure
    // as digital silence (us1 "bicycle" alone: 798 samples, 50 ms, of zeros)
    // that is no part of the word's sound and made its cut match the wrong
    // word (EachEngine.CutWordAudioIsThatWord).
    const SilenceTrimmer trimmer(out.samples, silence_db_);
    starts[0] = trimmer.sound_start(starts[0], words.size() > 1 && starts[1] >= 0 ? starts[1] : total);
    // Words without a phoneme event of their own share the span before the
    // next one by characters (confidence 0.5).
    const std::vector<bool> estimated = fill_missing_starts(starts, words, total);
    for (size_t k = 1; k < words.size(); ++k) starts[k] = std::min(std::max(starts[k], starts[k - 1]), total);
    for (size_t k = 0; k < words.size(); ++k) {
      const double next = k + 1 < words.size() ? starts[k + 1] : total;
      out.words.push_back({words[k], starts[k], trimmer.sound_end(starts[k], next), estimated[k] ? 0.5f : 1.0f});
    }
    check_timings(out, "mbrola", text);
    return out;
  }

 private:
  std::vector<std::string> voices_;
  std::pair<int, int> rate_, pitch_;
  double delay_s_, silence_db_;
};

const jstip_option_desc kOptions[] = {
    {"voices", JSTIP_OPT_STRING_LIST, "[us1, us2, us3, en1]", "mbrola voices (Debian packages mbrola-VOICE)"},
    {"rate", JSTIP_OPT_INT_LIST, "[140, 190]", "words per minute, [min, max] drawn per utterance"},
    {"pitch", JSTIP_OPT_INT_LIST, "[30, 70]", "0-100, [min, max]"},
    {"event_delay_ms", JSTIP_OPT_FLOAT, "62.5", "how far espeak-ng's phoneme events run behind mbrola audio"},
    {"silence_threshold_db", JSTIP_OPT_FLOAT, "-45", "word ends: last 10 ms frame above this (re. loudest frame)"},
    {"program", JSTIP_OPT_STRING, "/usr/bin/mbrola", "the mbrola binary espeak-ng runs"},
    {"voice_dir", JSTIP_OPT_STRING, "/usr/share/mbrola", "where mbrola voices are installed (VOICE/VOICE)"},
};

}  // namespace

JSTIP_PLUGIN(MbrolaSynthesizer, "synthesizer", "mbrola", "1.0.0",
             "mbrola diphone voices through espeak-ng, word starts from phoneme events", kOptions)
