#include "host/eval/edit_alignment.h"

#include <gtest/gtest.h>

#include "host/data/text_normalizer.h"

namespace jstip::eval {
namespace {

EditCounts counts_of(const std::string& ref, const std::string& hyp) {
  return align_tokens(data::split_words(ref), data::split_words(hyp)).counts;
}

void expect_counts(const EditCounts& c, int64_t correct, int64_t sub, int64_t del, int64_t ins) {
  EXPECT_EQ(c.correct, correct);
  EXPECT_EQ(c.substitutions, sub);
  EXPECT_EQ(c.deletions, del);
  EXPECT_EQ(c.insertions, ins);
}

TEST(EditAlignment, IdenticalIsAllCorrect) { expect_counts(counts_of("a b c", "a b c"), 3, 0, 0, 0); }

TEST(EditAlignment, EmptySides) {
  expect_counts(counts_of("", ""), 0, 0, 0, 0);
  expect_counts(counts_of("a b", ""), 0, 0, 2, 0);
  expect_counts(counts_of("", "a b"), 0, 0, 0, 2);
}

TEST(EditAlignment, SubstitutionDeletionInsertion) {
  expect_counts(counts_of("the cat sat on the mat", "the bat sat the mat mat"), 4, 1, 1, 1);
}

TEST(EditAlignment, SubstitutionCheaperThanDeletePlusInsert) {
  // sclite costs: one substitution (4) beats a deletion plus an insertion (6).
  expect_counts(counts_of("a b c", "a x c"), 2, 1, 0, 0);
}

TEST(EditAlignment, TiesFollowSclite) {
  // Three substitutions (12) tie with del, del, correct, ins, ins (12);
  // sclite prefers the diagonal, so does ours (checked with sctk sclite).
  expect_counts(counts_of("a b c", "c x y"), 0, 3, 0, 0);
  // Two subs (8) lose to del + correct + ins (6) under sclite weights, where
  // unit-cost Levenshtein would call it a tie.
  expect_counts(counts_of("a b", "b c"), 1, 0, 1, 1);
}

TEST(EditAlignment, PairsAreInOrderWithGaps) {
  const auto alignment = align_tokens({"x", "y"}, {"x", "z", "y"});
  ASSERT_EQ(alignment.pairs.size(), 3u);
  EXPECT_EQ(alignment.pairs[0].op, EditOp::Correct);
  EXPECT_EQ(alignment.pairs[1].op, EditOp::Insertion);
  EXPECT_EQ(alignment.pairs[1].ref, "");
  EXPECT_EQ(alignment.pairs[1].hyp, "z");
  EXPECT_EQ(alignment.pairs[2].op, EditOp::Correct);
  EXPECT_EQ(format_alignment(alignment), "REF:  x * y\nHYP:  x z y\nEVAL:   I  \n");
}

}  // namespace
}  // namespace jstip::eval
