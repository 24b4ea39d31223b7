#include "host/eval/entity_accuracy.h"

#include <gtest/gtest.h>

namespace jstip::eval {
namespace {

// Span of the first occurrence of `text` in `reference` (at or after `from`).
EntitySpan span_of(const std::string& reference, const std::string& text, const std::string& type, size_t from = 0) {
  const size_t begin = reference.find(text, from);
  EXPECT_NE(begin, std::string::npos) << text;
  return {static_cast<int64_t>(begin), static_cast<int64_t>(begin + text.size()), type};
}

EntityCounts judge(const std::string& ref, const std::string& hyp, const std::vector<EntitySpan>& entities) {
  return count_entities(judge_entities("test", ref, hyp, entities));
}

TEST(EntityAccuracy, CaseAndPunctuationDoNotMatter) {
  const std::string ref = "Take Aspirin, twice.";
  const auto c = judge(ref, "take ASPIRIN twice", {span_of(ref, "Aspirin", "drug")});
  EXPECT_EQ(c.found, 1);
  EXPECT_EQ(c.total, 1);
  // Punctuation inside the entity normalizes away on both sides.
  const std::string ref2 = "Ask Dr. Chen today";
  EXPECT_EQ(judge(ref2, "ask dr chen today", {span_of(ref2, "Dr. Chen", "person")}).found, 1);
}

TEST(EntityAccuracy, MultiWordEntityNeedsAllWordsContiguous) {
  const std::string ref = "we flew to New York City yesterday";
  const auto entity = span_of(ref, "New York City", "city");
  EXPECT_EQ(judge(ref, "we flew to new york city yesterday", {entity}).found, 1);
  EXPECT_EQ(judge(ref, "we flew to new york yesterday", {entity}).found, 0);
  EXPECT_EQ(judge(ref, "we flew to new big york city", {entity}).found, 0);
}

TEST(EntityAccuracy, SubstringOfALongerWordDoesNotCount) {
  const std::string ref = "give aspirin now";
  const auto entity = span_of(ref, "aspirin", "drug");
  EXPECT_EQ(judge(ref, "give aspirins now", {entity}).found, 0);
  EXPECT_EQ(judge(ref, "give baspirin now", {entity}).found, 0);
}

TEST(EntityAccuracy, RepeatedEntitiesNeedRepeatedMatches) {
  const std::string ref = "aspirin or aspirin";
  const std::vector<EntitySpan> both = {span_of(ref, "aspirin", "drug"), span_of(ref, "aspirin", "drug", 1)};
  EXPECT_EQ(judge(ref, "aspirin or aspirin", both).found, 2);
  const auto once = judge_entities("t", ref, "aspirin or something", both);
  EXPECT_TRUE(once[0].found);  // the first reference occurrence takes the match
  EXPECT_FALSE(once[1].found);
  EXPECT_EQ(count_entities(once).found, 1);
  // Extra occurrences in the hypothesis do not add hits.
  EXPECT_EQ(judge(ref, "aspirin aspirin aspirin", both).found, 2);
}

TEST(EntityAccuracy, PerTypeCounts) {
  const std::string ref = "Maria took ibuprofen in Boston";
  const auto results = judge_entities("t", ref, "maria took ibuprofen in austin",
                                      {span_of(ref, "Maria", "person"), span_of(ref, "ibuprofen", "drug"),
                                       span_of(ref, "Boston", "city")});
  const auto by_type = count_entities_by_type(results);
  EXPECT_EQ(by_type.at("person").found, 1);
  EXPECT_EQ(by_type.at("drug").found, 1);
  EXPECT_EQ(by_type.at("city").found, 0);
  EXPECT_DOUBLE_EQ(count_entities(results).accuracy(), 2.0 / 3.0);
}

TEST(EntityAccuracy, BadSpansNameTheUtterance) {
  try {
    judge_entities("utt7", "short", "short", {{2, 99, "drug"}});
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("utt7"), std::string::npos);
  }
  EXPECT_THROW(judge_entities("u", "a, b", "a b", {{1, 2, "x"}}), std::invalid_argument);  // only ","
}

TEST(EntityAccuracy, WordSequenceCountIsNonOverlapping) {
  EXPECT_EQ(count_word_sequence({"a", "a", "a"}, {"a", "a"}), 1);
  EXPECT_EQ(count_word_sequence({"a", "b", "a", "b"}, {"a", "b"}), 2);
  EXPECT_EQ(count_word_sequence({"a"}, {}), 0);
}

}  // namespace
}  // namespace jstip::eval
