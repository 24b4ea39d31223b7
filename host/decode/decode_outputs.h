// What `jstip decode` writes into its output folder:
//   hyp.jsonl            one line per record in the format host/eval/hypothesis_file.h
//                        reads (id, hypothesis, reference, entities, speaker,
//                        answers for QA), plus tokens, score, stop reason and timings
//   ref.trn, hyp.trn     NIST trn files (normalized words) for sctk sclite;
//                        for QA, ref.trn holds each question's first answer
//   decode_summary.json  totals: audio, wall time, real-time factor, tokens/s, memory
#pragma once

#include <string>
#include <vector>

#include "host/decode/decode_prompt.h"
#include "host/decode/decoded_utterance.h"
#include "jstip/json.h"

namespace jstip::decode {

Json hypothesis_json(const DecodedUtterance& u);  // one hyp.jsonl line
void write_hypothesis_file(const std::string& path, const std::vector<DecodedUtterance>& utterances);
void write_trn_files(const std::string& folder, const std::vector<DecodedUtterance>& utterances, DecodeTask task);

struct DecodeTotals {
  int64_t utterances = 0;
  double audio_seconds = 0;
  int64_t output_tokens = 0;
  int64_t stopped_by_length = 0;  // hypotheses that hit the length limit (looping shows up here)
};
DecodeTotals totals_of(const std::vector<DecodedUtterance>& utterances);

}  // namespace jstip::decode
