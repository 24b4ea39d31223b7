#include "host/eval/qa_scoring.h"

#include <gtest/gtest.h>

namespace jstip::eval {
namespace {

TEST(QaScoring, ExactMatchAfterNormalization) {
  const auto j = judge_answer("Paris.", {"paris"});
  EXPECT_TRUE(j.exact_match);
  EXPECT_TRUE(j.contains_answer);
  EXPECT_TRUE(judge_answer("42", {"forty-two"}).exact_match);  // digits become words
}

TEST(QaScoring, ContainmentIsWholeWord) {
  const auto j = judge_answer("I believe it is Paris, France.", {"Paris"});
  EXPECT_FALSE(j.exact_match);
  EXPECT_TRUE(j.contains_answer);
  EXPECT_FALSE(judge_answer("the parisian cafe", {"paris"}).contains_answer);
  EXPECT_TRUE(judge_answer("it was George Washington", {"george washington"}).contains_answer);
  EXPECT_FALSE(judge_answer("George was first", {"george washington"}).contains_answer);
}

TEST(QaScoring, AnyAcceptedAnswerCounts) {
  EXPECT_TRUE(judge_answer("NYC", {"New York", "nyc"}).exact_match);
  EXPECT_FALSE(judge_answer("Boston", {"New York", "nyc"}).contains_answer);
}

TEST(QaScoring, EmptyAnswersAndPredictions) {
  EXPECT_FALSE(judge_answer("anything", {}).contains_answer);
  EXPECT_FALSE(judge_answer("", {"?!"}).exact_match);  // an answer of only punctuation is ignored
  EXPECT_FALSE(judge_answer("", {"paris"}).contains_answer);
}

TEST(QaScoring, CountsAndRates) {
  QaCounts counts;
  counts.add(judge_answer("paris", {"paris"}));
  counts.add(judge_answer("it is paris", {"paris"}));
  counts.add(judge_answer("london", {"paris"}));
  counts.add(judge_answer("rome", {"paris"}));
  EXPECT_EQ(counts.questions, 4);
  EXPECT_DOUBLE_EQ(counts.exact_match_rate(), 0.25);
  EXPECT_DOUBLE_EQ(counts.containment_rate(), 0.5);
}

}  // namespace
}  // namespace jstip::eval
