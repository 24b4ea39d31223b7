// Import of existing corpora into Utterance records (audio referenced by
// path; transcripts normalized, the source's text kept as `written`; words
// without timings unless the source gives them):
//   - Kaldi data dirs: wav.scp, text, optional segments and utt2spk;
//   - JSON lines: {"id":..., "audio":..., "text":..., "words": ["w", ...] or
//     [{"word"|"text": "w", "start": s, "end": e}, ...], "speaker", "domain",
//     "split", "entities": [{"begin", "end", "type"}] };
//   - plain lists: "audio<TAB>text" per line;
//   - plain text: one text-only sample per line ("text" or "id<TAB>text",
//     entity markup "[[aspirin|drug]]"), for text_lm / domain text.
// Relative audio paths are resolved against the list's directory. Errors
// name file:line. A record without a word, or with word timings training
// would refuse (word_span_problem), is an error naming file:line and the record.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "host/data/shard_file.h"

namespace jstip::data {

class ImportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImportOptions {
  std::string domain;     // stored in each record when set
  std::string split;
  bool inline_audio = false;  // decode audio now and store 16 kHz PCM in the record
  // Store the source's text as `written` (and each word's written form).
  // Off for sources whose text is not as written (upper-case Kaldi
  // transcripts): the records then fall back to the normalized words.
  bool keep_written = true;
};

std::vector<Utterance> import_kaldi_dir(const std::string& dir, const ImportOptions& options = {});
std::vector<Utterance> import_jsonl(const std::string& path, const ImportOptions& options = {});
std::vector<Utterance> import_tsv_list(const std::string& path, const ImportOptions& options = {});
std::vector<Utterance> import_text_lines(const std::string& path, const ImportOptions& options = {});

}  // namespace jstip::data
