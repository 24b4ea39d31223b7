// CTC path -> word times: frame f covers [f, f + 1) x frame_seconds; a word
// spans its units' first to last frame; confidences are geometric means.
#include "host/align/word_timings.h"

#include <gtest/gtest.h>

#include <cmath>

#include "host/graph/ctc_viterbi.h"

namespace {

using jstip::align::path_score;
using jstip::align::word_timings;
using jstip::graph::CtcPath;

CtcPath path_of(std::vector<int64_t> tokens, std::vector<float> log_probs) {
  CtcPath p;
  p.ok = true;
  p.frame_token = std::move(tokens);
  p.frame_log_prob = std::move(log_probs);
  for (float v : p.frame_log_prob) p.log_prob += v;
  return p;
}

TEST(WordTimings, FramesToSeconds) {
  // Two words: units 0,1 (word 0) and 2 (word 1), 40 ms frames.
  const auto p = path_of({-1, 0, -1, 1, 1, -1, -1, 2, -1},
                         {0, std::log(0.5f), 0, std::log(0.8f), std::log(0.8f), 0, 0, std::log(0.9f), 0});
  const auto t = word_timings(p, {0, 2, 3}, 0.04, 0);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_NEAR(t[0].start, 0.04, 1e-9);
  EXPECT_NEAR(t[0].end, 0.20, 1e-9);  // after frame 4
  EXPECT_NEAR(t[1].start, 0.28, 1e-9);
  EXPECT_NEAR(t[1].end, 0.32, 1e-9);
  EXPECT_NEAR(t[0].confidence, std::cbrt(0.5 * 0.8 * 0.8), 1e-5);
  EXPECT_NEAR(t[1].confidence, 0.9, 1e-5);
  EXPECT_NEAR(path_score(p), p.log_prob / 9, 1e-9);
}

TEST(WordTimings, ClampsToTheAudioAndPlacesWordsWithoutUnits) {
  const auto p = path_of({0, -1, 1}, {0, 0, 0});
  // Word 1 has no units: an empty span where word 2 starts.
  const auto t = word_timings(p, {0, 1, 1, 2}, 0.04, 0.1);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_NEAR(t[2].start, 0.08, 1e-9);
  EXPECT_NEAR(t[2].end, 0.1, 1e-9);  // 0.12 clamped to the audio
  EXPECT_EQ(t[1].start, t[2].start);
  EXPECT_EQ(t[1].end, t[2].start);
  EXPECT_EQ(t[1].confidence, 0.0f);
}

TEST(WordTimings, RejectsPathsThatDoNotFitTheWords) {
  EXPECT_THROW(word_timings(path_of({0, 3}, {0, 0}), {0, 2}, 0.04, 0), std::invalid_argument);
  EXPECT_THROW(word_timings(path_of({0, -1}, {0, 0}), {0, 2}, 0.04, 0), std::invalid_argument);
  CtcPath failed;
  failed.error = "too long";
  EXPECT_THROW(word_timings(failed, {0, 1}, 0.04, 0), std::invalid_argument);
}

}  // namespace

TEST(WordTimings, GapsSplitTheBlankFramesBetweenWords) {
  // Word 0 fires on frames 1-2, word 1 on frame 6, word 2 on frame 7.
  const auto p = path_of({-1, 0, 0, -1, -1, -1, 1, 2, -1}, std::vector<float>(9, 0.0f));
  const auto t = word_timings(p, {0, 1, 2, 3}, 0.04, 0, jstip::align::Boundaries::Gaps);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_NEAR(t[0].start, 0.04, 1e-9);  // the first start stays at its spike
  EXPECT_NEAR(t[0].end, 0.18, 1e-9);    // middle of the blanks 0.12 .. 0.24
  EXPECT_NEAR(t[1].start, 0.18, 1e-9);
  EXPECT_NEAR(t[1].end, 0.28, 1e-9);    // no blank between words 1 and 2
  EXPECT_NEAR(t[2].start, 0.28, 1e-9);
  EXPECT_NEAR(t[2].end, 0.32, 1e-9);    // the last end stays at its spike
}
