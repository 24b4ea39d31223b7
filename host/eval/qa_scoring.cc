#include "host/eval/qa_scoring.h"

#include "host/data/text_normalizer.h"
#include "host/eval/entity_accuracy.h"

namespace jstip::eval {

QaJudgement judge_answer(const std::string& prediction, const std::vector<std::string>& answers) {
  const std::string normalized_prediction = data::normalize_text(prediction);
  const std::vector<std::string> prediction_words = data::split_words(normalized_prediction);
  QaJudgement judgement;
  for (const auto& answer : answers) {
    const std::string normalized_answer = data::normalize_text(answer);
    if (normalized_answer.empty()) continue;
    if (normalized_answer == normalized_prediction) judgement.exact_match = true;
    if (count_word_sequence(prediction_words, data::split_words(normalized_answer)) > 0) {
      judgement.contains_answer = true;
    }
  }
  return judgement;
}

void QaCounts::add(const QaJudgement& judgement) {
  ++questions;
  exact_matches += judgement.exact_match ? 1 : 0;
  containments += judgement.contains_answer ? 1 : 0;
}

double QaCounts::exact_match_rate() const {
  return questions == 0 ? 0.0 : static_cast<double>(exact_matches) / static_cast<double>(questions);
}

double QaCounts::containment_rate() const {
  return questions == 0 ? 0.0 : static_cast<double>(containments) / static_cast<double>(questions);
}

}  // namespace jstip::eval
