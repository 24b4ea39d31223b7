// Helpers on Utterance records: their audio as 16 kHz samples, the checks
// that strategies needing word timings use to refuse unaligned data, and the
// text as written (for a cased LLM; scoring uses the normalized transcript).
#pragma once

#include <string>
#include <vector>

#include "host/data/shard_file.h"

namespace jstip::data {

bool is_text_only(const Utterance& record);
// 16 kHz mono samples from inline PCM or the referenced file (segment cut,
// resampled). Throws naming the record id when it holds no audio.
std::vector<float> utterance_samples(const Utterance& record);
// Audio length in seconds without decoding inline PCM; files are opened.
double utterance_seconds(const Utterance& record);
// The audio length the record itself states (inline samples, a segment's
// bounds), else 0: a whole file by path is not opened.
double stated_audio_seconds(const Utterance& record);

bool has_word_timings(const Utterance& record);  // every word has a time span
// Throws std::runtime_error "<who>: record '<id>' word <k> '<text>' has no timing".
void require_word_timings(const Utterance& record, const std::string& who);

// The record's normalized words: its `words`, else the words of its
// transcript (a record without word entries).
std::vector<std::string> normalized_words(const Utterance& record);

// The text as written: `written`, else (records made before that field) the
// normalized transcript.
std::string written_text(const Utterance& record);

// One written form per word of normalized_words(record). The rule of
// Word.written: a written token ("Smith,", "200") goes to the first word
// made from it, with punctuation attached; further words from the same token
// get "" ("200" -> "two" "200", "hundred" ""); so the non-empty forms joined
// by spaces are written_text(). Where the words carry no written forms
// (a record made by hand, or aligned by a `jstip align` that did not keep them) they are derived from
// `written` when it normalizes to the same words; records without `written`,
// or whose words differ from it, get the normalized words themselves.
std::vector<std::string> written_words(const Utterance& record);

}  // namespace jstip::data
