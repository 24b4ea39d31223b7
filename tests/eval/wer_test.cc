#include "host/eval/wer.h"

#include <gtest/gtest.h>

namespace jstip::eval {
namespace {

TEST(Wer, NormalizationRemovesCasePunctuationAndDigits) {
  const auto u = score_utterance("u1", "Hello, World! It's 42.", "hello world it's forty two");
  EXPECT_EQ(u.words.counts.errors(), 0);
  EXPECT_EQ(u.words.counts.correct, 5);
  EXPECT_EQ(u.reference, "hello world it's forty two");
}

TEST(Wer, CorpusRateIsRatioOfSumsNotMeanOfRates) {
  // 1 error in 1 word and 0 errors in 9 words: corpus WER 1/10, not 0.5.
  const auto corpus = score_corpus({{"a", "yes", "no"}, {"b", "one two three four five six seven eight nine",
                                                         "one two three four five six seven eight nine"}});
  EXPECT_EQ(corpus.words.errors(), 1);
  EXPECT_EQ(corpus.words.reference_length(), 10);
  EXPECT_DOUBLE_EQ(corpus.wer(), 0.1);
  ASSERT_EQ(corpus.utterances.size(), 2u);
  EXPECT_EQ(corpus.utterances[0].words.counts.substitutions, 1);
}

TEST(Wer, InsertionsCanPushWerAboveOne) {
  const auto corpus = score_corpus({{"a", "hi", "oh hi there you"}});
  EXPECT_DOUBLE_EQ(corpus.wer(), 3.0);
}

TEST(Wer, EmptyReferenceRateIsDefined) {
  EXPECT_DOUBLE_EQ(error_rate(EditCounts{}), 0.0);
  EditCounts only_insertions;
  only_insertions.insertions = 2;
  EXPECT_DOUBLE_EQ(error_rate(only_insertions), 1.0);
}

TEST(Cer, CharactersWithoutSpaces) {
  EXPECT_EQ(character_tokens("ab c"), (std::vector<std::string>{"a", "b", "c"}));
  // UTF-8 code points stay whole.
  EXPECT_EQ(character_tokens("caf\xc3\xa9"), (std::vector<std::string>{"c", "a", "f", "\xc3\xa9"}));
}

TEST(Cer, CountsCharacterEdits) {
  // "kitten" -> "sitting": 2 substitutions + 1 insertion over 6 characters.
  const auto u = score_utterance("u", "kitten", "sitting");
  EXPECT_EQ(u.characters.counts.substitutions, 2);
  EXPECT_EQ(u.characters.counts.insertions, 1);
  EXPECT_EQ(u.characters.counts.reference_length(), 6);
  // A word split costs WER but nothing at character level (spaces do not count).
  const auto split = score_utterance("v", "football", "foot ball");
  EXPECT_EQ(split.words.counts.errors(), 2);
  EXPECT_EQ(split.characters.counts.errors(), 0);
}

}  // namespace
}  // namespace jstip::eval
