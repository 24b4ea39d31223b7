// Spoken question answering: is the model's answer right? Both checks run on
// normalized text (host/data/text_normalizer.h), against every accepted
// answer of a question:
//   - exact match: the normalized prediction equals a normalized answer;
//   - containment: a normalized answer occurs in the normalized prediction
//     as a whole-word run ("paris" in "it is paris", not in "parisian").
// Containment is the lenient score for chatty answers; exact match implies it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jstip::eval {

struct QaJudgement {
  bool exact_match = false;
  bool contains_answer = false;
};

// Answers that normalize to nothing are ignored; with no usable answer
// both checks are false.
QaJudgement judge_answer(const std::string& prediction, const std::vector<std::string>& answers);

struct QaCounts {
  int64_t questions = 0, exact_matches = 0, containments = 0;

  void add(const QaJudgement& judgement);
  double exact_match_rate() const;
  double containment_rate() const;
};

}  // namespace jstip::eval
