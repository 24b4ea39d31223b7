#include "host/data/synthesizer.h"

#include <espeak-ng/speak_lib.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <random>

#include "host/data/audio_io.h"
#include "host/data/entity_markup.h"
#include "host/data/resample.h"
#include "host/data/text_normalizer.h"
#include "jstip/config.h"

namespace jstip::data {
namespace {

std::mutex& engine_mutex() {
  static std::mutex mutex;
  return mutex;
}

struct WordEvent {
  int text_position;  // 1-based, in characters
  int audio_ms;
};

struct Capture {
  std::vector<short> samples;
  std::vector<WordEvent> words;
};

// The capture of the synthesis in progress (set under engine_mutex()): audio
// chunks arrive with no event naming their request.
Capture* active_capture = nullptr;

int on_audio(short* wav, int count, espeak_EVENT* events) {
  Capture* capture = active_capture;
  if (!capture) return 0;
  for (espeak_EVENT* e = events; e && e->type != espeakEVENT_LIST_TERMINATED; ++e)
    if (e->type == espeakEVENT_WORD) capture->words.push_back({e->text_position, e->audio_position});
  if (wav && count > 0) capture->samples.insert(capture->samples.end(), wav, wav + count);
  return 0;  // continue
}

// Initializes espeak-ng once per process; returns its output sample rate.
int engine_rate() {
  static const int rate = [] {
    const int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
    if (r <= 0) throw SynthesisError("espeak-ng: initialization failed (is espeak-ng-data installed?)");
    espeak_SetSynthCallback(on_audio);
    return r;
  }();
  return rate;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

size_t utf8_chars(const std::string& s, size_t begin, size_t end) {
  size_t n = 0;
  for (size_t i = begin; i < end; ++i)
    if ((uint8_t(s[i]) & 0xC0) != 0x80) ++n;
  return n;
}

// Last 10 ms frame in [begin, end) whose RMS is above `threshold`, or begin.
int64_t trim_trailing_silence(const torch::Tensor& frame_rms, int64_t begin, int64_t end, double threshold) {
  const int64_t frame = 160;
  const int64_t first = begin / frame, last = std::min<int64_t>((end + frame - 1) / frame, frame_rms.size(0));
  if (last <= first) return end;
  auto loud = (frame_rms.slice(0, first, last) > threshold).nonzero();
  if (loud.size(0) == 0) return end;  // all quiet: keep the span as is
  const int64_t last_loud = first + loud[-1][0].item<int64_t>();
  return std::min(end, (last_loud + 1) * frame);
}

}  // namespace

void add_white_noise(std::vector<float>& samples, double snr_db, uint64_t seed) {
  if (samples.empty()) return;
  const int64_t n = int64_t(samples.size());
  auto audio = torch::from_blob(samples.data(), {n}, torch::kFloat32);
  const double power = audio.pow(2).mean().item<double>();
  const double noise_std = std::sqrt(power / std::pow(10.0, snr_db / 10.0));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  audio.copy_((audio + torch::randn({n}, gen, torch::kFloat32) * noise_std).clamp(-1.0, 1.0));
}

SynthesisOptions synthesis_options_from_config(const Config& config) {
  SynthesisOptions o;
  if (config.has("voices")) o.voices = config.get_string_list("voices");
  if (config.has("variants")) o.variants = config.get_string_list("variants");
  auto range = [&](const char* key, int& lo, int& hi) {
    if (!config.has(key)) return;
    auto v = config.get_int_list(key);
    if (v.size() != 2 || v[0] > v[1])
      throw ConfigError(config.where(key) + ": " + key + " must be [min, max] with min <= max");
    lo = int(v[0]);
    hi = int(v[1]);
  };
  range("rate", o.rate_min, o.rate_max);
  range("pitch", o.pitch_min, o.pitch_max);
  range("volume", o.volume_min, o.volume_max);
  o.noise_probability = config.get_double("noise_probability", o.noise_probability);
  if (config.has("snr_db")) {
    auto v = config.get_double_list("snr_db");
    if (v.size() != 2 || v[0] > v[1]) throw ConfigError(config.where("snr_db") + ": snr_db must be [min, max]");
    o.snr_db_min = v[0];
    o.snr_db_max = v[1];
  }
  o.silence_threshold_db = config.get_double("silence_threshold_db", o.silence_threshold_db);
  o.seed = uint64_t(config.get_int("seed", int64_t(o.seed)));
  return o;
}

Synthesizer::Synthesizer(SynthesisOptions options) : options_(std::move(options)) {
  if (options_.voices.empty()) throw SynthesisError("synthesis: no voices configured");
  if (options_.variants.empty()) options_.variants = {""};
  if (options_.rate_min > options_.rate_max || options_.pitch_min > options_.pitch_max ||
      options_.volume_min > options_.volume_max || options_.snr_db_min > options_.snr_db_max)
    throw SynthesisError("synthesis: a [min, max] range has min > max");
  // Refuse unknown voices now rather than at utterance 12,345.
  std::lock_guard<std::mutex> lock(engine_mutex());
  engine_rate();
  std::string unknown;
  for (const auto& voice : options_.voices) {
    if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
      unknown += (unknown.empty() ? "" : ", ") + voice;
      continue;
    }
    // A voice switch without synthesis leaves espeak-ng in a state where the
    // next utterance starts with odd audio and loses its first word event:
    // say something short in each voice (discarded).
    Capture discard;
    active_capture = &discard;
    espeak_Synth("a", 2, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, nullptr);
    active_capture = nullptr;
  }
  // espeak-ng ignores an unknown variant silently: look for its file.
  const char* data_dir = nullptr;
  espeak_Info(&data_dir);
  for (const auto& variant : options_.variants)
    if (!variant.empty() && data_dir && !std::filesystem::exists(std::string(data_dir) + "/voices/!v/" + variant))
      unknown += (unknown.empty() ? "+" : ", +") + variant;
  if (!unknown.empty())
    throw SynthesisError("espeak-ng: unknown voices: " + unknown + " (see `espeak-ng --voices=en` and "
                         "`espeak-ng --voices=variant`)");
}

VoiceSettings Synthesizer::draw_settings(uint64_t index) const {
  std::mt19937_64 rng(splitmix64(options_.seed * 0x100000001B3ull + index));
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const auto& o = options_;
  VoiceSettings s;
  s.voice = o.voices[rng() % o.voices.size()];
  const std::string& variant = o.variants[rng() % o.variants.size()];
  if (!variant.empty()) s.voice += "+" + variant;
  s.rate = pick(o.rate_min, o.rate_max);
  s.pitch = pick(o.pitch_min, o.pitch_max);
  s.volume = pick(o.volume_min, o.volume_max);
  const double u = std::uniform_real_distribution<double>(0, 1)(rng);
  const double snr = std::uniform_real_distribution<double>(o.snr_db_min, o.snr_db_max)(rng);
  s.snr_db = u < o.noise_probability ? std::max(snr, 1e-3) : 0;
  return s;
}

Synthesis Synthesizer::synthesize(const std::string& text, const VoiceSettings& settings) const {
  const std::vector<std::string> words = split_words(text);
  if (words.empty()) throw SynthesisError("synthesis: empty text");
  Capture capture;
  int rate = 0;
  {
    std::lock_guard<std::mutex> lock(engine_mutex());
    rate = engine_rate();
    if (espeak_SetVoiceByName(settings.voice.c_str()) != EE_OK)
      throw SynthesisError("espeak-ng: unknown voice '" + settings.voice + "' (see `espeak-ng --voices=en`)");
    espeak_SetParameter(espeakRATE, settings.rate, 0);
    espeak_SetParameter(espeakPITCH, settings.pitch, 0);
    espeak_SetParameter(espeakVOLUME, settings.volume, 0);
    unsigned int id = 0;
    active_capture = &capture;
    const espeak_ERROR status =
        espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, &id, nullptr);
    active_capture = nullptr;
    if (status != EE_OK) throw SynthesisError("espeak-ng: synthesis failed for '" + text + "'");
  }
  if (capture.samples.empty()) throw SynthesisError("espeak-ng: no audio for '" + text + "'");

  Synthesis out;
  out.settings = settings;
  auto raw = torch::from_blob(capture.samples.data(), {int64_t(capture.samples.size())}, torch::kInt16)
                 .to(torch::kFloat32) / 32768.0;
  std::vector<float> native(raw.data_ptr<float>(), raw.data_ptr<float>() + raw.numel());
  out.samples = resample(native, rate, kSampleRate);

  // Word starts from the events, matched to words by character position.
  std::vector<double> starts(words.size(), -1);
  size_t byte = 0;
  std::vector<std::pair<size_t, size_t>> char_spans;  // [begin, end) characters, 0-based
  for (const auto& w : words) {
    byte = text.find(w, byte);
    const size_t begin = utf8_chars(text, 0, byte);
    char_spans.push_back({begin, begin + utf8_chars(w, 0, w.size())});
    byte += w.size();
  }
  for (const auto& e : capture.words) {
    const size_t pos = size_t(std::max(0, e.text_position - 1));
    for (size_t k = 0; k < words.size(); ++k)
      if (pos >= char_spans[k].first && pos < char_spans[k].second && starts[k] < 0) starts[k] = e.audio_ms / 1000.0;
  }
  if (starts[0] < 0) {
    // Seen only after voice switches without synthesis (see the constructor);
    // the audio is then suspect too, so the utterance is refused.
    std::string seen;
    for (const auto& e : capture.words) seen += " " + std::to_string(e.text_position) + "@" + std::to_string(e.audio_ms) + "ms";
    throw SynthesisError("espeak-ng: no word event for the first word '" + words[0] + "' in '" + text +
                         "' (word events at characters:" + (seen.empty() ? " none" : seen) + ")");
  }
  // espeak-ng merges some short words into one event ("of the", "in the"):
  // such a run shares the span up to the next event in proportion to its
  // characters, and is marked as estimated.
  const double total_seconds = double(out.samples.size()) / kSampleRate;
  std::vector<bool> estimated(words.size(), false);
  for (size_t k = 0; k < words.size();) {
    size_t run_end = k + 1;
    while (run_end < words.size() && starts[run_end] < 0) ++run_end;
    if (run_end > k + 1) {
      const double span_end = run_end < words.size() ? starts[run_end] : total_seconds;
      double chars = 0;
      for (size_t j = k; j < run_end; ++j) chars += double(words[j].size() + 1);
      double t = starts[k];
      for (size_t j = k; j < run_end; ++j) {
        starts[j] = t;
        estimated[j] = j > k;  // the first keeps its event start
        t += (span_end - starts[k]) * double(words[j].size() + 1) / chars;
      }
    }
    k = run_end;
  }

  // A word ends where its sound ends: before the next word, trailing silence removed.
  auto audio = torch::from_blob(out.samples.data(), {int64_t(out.samples.size())}, torch::kFloat32);
  const int64_t n = audio.size(0);
  auto padded = torch::constant_pad_nd(audio, {0, (160 - n % 160) % 160}, 0);
  auto frame_rms = padded.view({-1, 160}).pow(2).mean(1).sqrt();
  const double threshold = frame_rms.max().item<double>() * std::pow(10.0, options_.silence_threshold_db / 20.0);
  for (size_t k = 0; k < words.size(); ++k) {
    const double next = k + 1 < words.size() ? starts[k + 1] : double(n) / kSampleRate;
    const auto begin = int64_t(starts[k] * kSampleRate), limit = std::min<int64_t>(n, int64_t(next * kSampleRate));
    const int64_t end = trim_trailing_silence(frame_rms, begin, std::max(begin, limit), threshold);
    out.words.push_back({words[k], starts[k], std::max(starts[k], double(end) / kSampleRate), !estimated[k]});
  }

  if (settings.snr_db > 0)
    add_white_noise(out.samples, settings.snr_db, splitmix64(std::hash<std::string>()(text) ^ uint64_t(settings.rate)));
  return out;
}

Utterance Synthesizer::make_record(const std::string& id, const std::string& marked_text, uint64_t index) const {
  const MarkedText marked = parse_entity_markup(marked_text);
  const VoiceSettings settings = draw_settings(index);
  const Synthesis speech = synthesize(marked.text, settings);
  Utterance record;
  record.set_id(id);
  record.set_pcm16(to_pcm16(speech.samples));
  record.set_sample_rate(kSampleRate);
  record.set_transcript(marked.text);
  for (const auto& w : speech.words) {
    auto* word = record.add_words();
    word->set_text(w.text);
    word->set_start(w.start);
    word->set_end(w.end);
    word->set_has_timing(true);
    word->set_confidence(w.from_event ? 1.0f : 0.5f);
  }
  for (const auto& e : marked.entities) {
    auto* span = record.add_entities();
    span->set_begin(uint32_t(e.begin));
    span->set_end(uint32_t(e.end));
    span->set_type(e.type);
  }
  record.set_speaker(settings.voice);
  record.set_engine("espeak-ng");
  auto& meta = *record.mutable_metadata();
  meta["rate"] = std::to_string(settings.rate);
  meta["pitch"] = std::to_string(settings.pitch);
  meta["volume"] = std::to_string(settings.volume);
  if (settings.snr_db > 0) meta["snr_db"] = std::to_string(settings.snr_db);
  return record;
}

}  // namespace jstip::data
