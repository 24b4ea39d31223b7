#include "host/data/utterance.h"

#include <sndfile.h>

#include <stdexcept>

#include "host/data/audio_io.h"
#include "host/data/text_normalizer.h"

namespace jstip::data {

bool is_text_only(const Utterance& record) { return record.pcm16().empty() && record.audio_path().empty(); }

std::vector<float> utterance_samples(const Utterance& record) {
  if (!record.pcm16().empty()) {
    if (record.sample_rate() != 0 && record.sample_rate() != uint32_t(kSampleRate))
      throw std::runtime_error("record '" + record.id() + "': inline audio must be 16 kHz, got " +
                               std::to_string(record.sample_rate()));
    return from_pcm16(record.pcm16());
  }
  if (!record.audio_path().empty())
    return load_audio_16k(record.audio_path(), record.segment_start(), record.segment_end());
  throw std::runtime_error("record '" + record.id() + "' is text-only: it has no audio");
}

double utterance_seconds(const Utterance& record) {
  if (!record.pcm16().empty()) return double(record.pcm16().size() / 2) / kSampleRate;
  if (record.audio_path().empty()) return 0;
  if (record.segment_end() > 0) return record.segment_end() - record.segment_start();
  SF_INFO info{};
  SNDFILE* file = sf_open(record.audio_path().c_str(), SFM_READ, &info);
  if (!file) throw AudioError(record.audio_path() + ": cannot read audio (record '" + record.id() + "')");
  sf_close(file);
  return info.samplerate > 0 ? double(info.frames) / info.samplerate - record.segment_start() : 0;
}

double stated_audio_seconds(const Utterance& record) {
  if (!record.pcm16().empty() && record.sample_rate() > 0) return double(record.pcm16().size() / 2) / record.sample_rate();
  if (record.segment_end() > record.segment_start()) return record.segment_end() - record.segment_start();
  return 0;
}

bool has_word_timings(const Utterance& record) {
  if (record.words_size() == 0) return false;
  for (const auto& w : record.words())
    if (!w.has_timing()) return false;
  return true;
}

void require_word_timings(const Utterance& record, const std::string& who) {
  if (record.words_size() == 0)
    throw std::runtime_error(who + ": record '" + record.id() + "' has no words with timings (ASR-only data?)");
  for (int k = 0; k < record.words_size(); ++k)
    if (!record.words(k).has_timing())
      throw std::runtime_error(who + ": record '" + record.id() + "' word " + std::to_string(k) + " '" +
                               record.words(k).text() + "' has no timing; this strategy needs aligned words");
}

std::string written_text(const Utterance& record) {
  return record.written().empty() ? record.transcript() : record.written();
}

std::vector<std::string> normalized_words(const Utterance& record) {
  if (record.words_size() == 0) return split_words(record.transcript());
  std::vector<std::string> words;
  for (const auto& w : record.words()) words.push_back(w.text());
  return words;
}

std::vector<std::string> written_words(const Utterance& record) {
  const std::vector<std::string> normalized = normalized_words(record);
  if (record.written().empty()) return normalized;
  // Filled in: the first word always carries its token.
  if (record.words_size() > 0 && !record.words(0).written().empty()) {
    std::vector<std::string> written;
    for (const auto& w : record.words()) written.push_back(w.written());
    return written;
  }
  const NormalizedText derived = normalize_written(record.written());
  if (derived.words.size() != normalized.size()) return normalized;
  std::vector<std::string> written;
  for (size_t k = 0; k < normalized.size(); ++k) {
    if (derived.words[k].text != normalized[k]) return normalized;
    written.push_back(derived.words[k].written);
  }
  return written;
}

}  // namespace jstip::data
