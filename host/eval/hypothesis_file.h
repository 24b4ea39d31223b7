// The decoder's output, one JSON object per line (JSON lines):
//   {"id": "...", "hypothesis": "...", "reference": "...",
//    "entities": [{"begin": 0, "end": 7, "type": "drug"}],   (optional)
//    "speaker": "...",                                          (optional)
//    "answers": ["...", ...]}                                   (QA, optional)
// Entity offsets are bytes into "reference", as in Utterance.entities.
#pragma once

#include <string>
#include <vector>

#include "host/eval/entity_accuracy.h"

namespace jstip::eval {

struct HypothesisRecord {
  std::string id, hypothesis, reference, speaker;
  std::vector<EntitySpan> entities;
  std::vector<std::string> answers;
};

// Blank lines are skipped. Throws std::runtime_error naming the file, line
// and field on anything unexpected (and on duplicate ids).
std::vector<HypothesisRecord> read_hypothesis_file(const std::string& path);

// One line, for tests and tools that write the format.
HypothesisRecord parse_hypothesis_line(const std::string& line, const std::string& where);

}  // namespace jstip::eval
