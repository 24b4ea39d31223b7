// Helpers on Utterance records: their audio as 16 kHz samples, and the
// checks that strategies needing word timings use to refuse unaligned data.
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

}  // namespace jstip::data
