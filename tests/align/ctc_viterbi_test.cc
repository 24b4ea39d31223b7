// Viterbi forced alignment on hand-built and random CTC posteriors: the path
// found is the best one (against exhaustive search and a scalar reference),
// repeated units get their separating blank, rows of a batch are independent,
// and transcripts too long for the audio fail with a clear message.
#include "host/graph/ctc_viterbi.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

namespace {

using jstip::graph::ctc_min_frames;
using jstip::graph::ctc_viterbi;
using jstip::graph::CtcPath;

// [1, T, V] log-probabilities from per-frame probability rows.
torch::Tensor log_probs_of(const std::vector<std::vector<float>>& probs) {
  const auto frames = static_cast<int64_t>(probs.size()), vocab = static_cast<int64_t>(probs[0].size());
  auto t = torch::empty({1, frames, vocab});
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t v = 0; v < vocab; ++v) t[0][f][v] = std::log(probs[f][v]);
  return t;
}

// Collapse a frame -> unit-index path to the unit indices it spells.
std::vector<int64_t> spelled(const CtcPath& path) {
  std::vector<int64_t> out;
  int64_t previous = -1;
  for (int64_t u : path.frame_token) {
    if (u >= 0 && u != previous) out.push_back(u);
    previous = u;
  }
  return out;
}

// Scalar reference Viterbi score (log domain) for one row.
double reference_score(const torch::Tensor& lp /*[T, V]*/, const std::vector<int64_t>& y, int64_t blank) {
  const int64_t frames = lp.size(0), states = 2 * static_cast<int64_t>(y.size()) + 1;
  const double ninf = -std::numeric_limits<double>::infinity();
  auto label = [&](int64_t s) { return s % 2 ? y[s / 2] : blank; };
  auto a = lp.accessor<float, 2>();
  std::vector<double> alpha(states, ninf);
  alpha[0] = a[0][blank];
  if (states > 1) alpha[1] = a[0][label(1)];
  for (int64_t t = 1; t < frames; ++t) {
    std::vector<double> next(states, ninf);
    for (int64_t s = 0; s < states; ++s) {
      double best = alpha[s];
      if (s >= 1) best = std::max(best, alpha[s - 1]);
      if (s >= 2 && s % 2 == 1 && label(s) != label(s - 2)) best = std::max(best, alpha[s - 2]);
      next[s] = best + a[t][label(s)];
    }
    alpha = next;
  }
  return std::max(alpha[states - 1], alpha[states - 2]);
}

TEST(CtcViterbi, HandBuiltMatrixHasTheKnownBestPath) {
  // Units a=0, b=1, blank=2. Frames: blank, a, a, blank, b are each the
  // frame's most likely unit and spell "a b".
  const auto lp = log_probs_of({{0.1f, 0.1f, 0.8f},
                                {0.7f, 0.1f, 0.2f},
                                {0.6f, 0.1f, 0.3f},
                                {0.2f, 0.2f, 0.6f},
                                {0.1f, 0.8f, 0.1f}});
  const auto paths = ctc_viterbi(lp, torch::tensor({5}), {{0, 1}}, 2);
  ASSERT_TRUE(paths[0].ok) << paths[0].error;
  EXPECT_EQ(paths[0].frame_token, (std::vector<int64_t>{-1, 0, 0, -1, 1}));
  const double expected = std::log(0.8) + std::log(0.7) + std::log(0.6) + std::log(0.6) + std::log(0.8);
  EXPECT_NEAR(paths[0].log_prob, expected, 1e-5);
  EXPECT_NEAR(paths[0].frame_log_prob[1], std::log(0.7), 1e-6);
}

TEST(CtcViterbi, ForcedPathDiffersFromTheGreedyOne) {
  // Greedy decoding says "b" everywhere; forced to spell "a", the best path
  // takes a on the frame where it is least unlikely (frame 2).
  const auto lp = log_probs_of({{0.05f, 0.8f, 0.15f}, {0.1f, 0.7f, 0.2f}, {0.3f, 0.6f, 0.1f}});
  const auto paths = ctc_viterbi(lp, torch::tensor({3}), {{0}}, 2);
  ASSERT_TRUE(paths[0].ok);
  EXPECT_EQ(paths[0].frame_token, (std::vector<int64_t>{-1, -1, 0}));
  EXPECT_NEAR(paths[0].log_prob, std::log(0.15) + std::log(0.2) + std::log(0.3), 1e-5);
}

TEST(CtcViterbi, RepeatedUnitsAreSeparatedByABlank) {
  // "a a" over 3 frames where a dominates everywhere: the only valid paths put
  // a blank between the two a's.
  const auto lp = log_probs_of({{0.9f, 0.05f, 0.05f}, {0.9f, 0.05f, 0.05f}, {0.9f, 0.05f, 0.05f}});
  const auto paths = ctc_viterbi(lp, torch::tensor({3}), {{0, 0}}, 2);
  ASSERT_TRUE(paths[0].ok) << paths[0].error;
  EXPECT_EQ(paths[0].frame_token, (std::vector<int64_t>{0, -1, 1}));
  EXPECT_EQ(ctc_min_frames({0, 0}), 3);
  EXPECT_EQ(ctc_min_frames({0, 1, 1, 1}), 6);
  // Two frames cannot spell "a a".
  const auto short_paths = ctc_viterbi(lp.narrow(1, 0, 2), torch::tensor({2}), {{0, 0}}, 2);
  EXPECT_FALSE(short_paths[0].ok);
  EXPECT_NE(short_paths[0].error.find("needs at least 3 encoder frames, the audio gives 2"), std::string::npos)
      << short_paths[0].error;
}

TEST(CtcViterbi, MatchesExhaustiveSearchOnRandomSmallCases) {
  torch::manual_seed(7);
  const int64_t vocab = 3, blank = 2, frames = 6;
  for (int trial = 0; trial < 20; ++trial) {
    const auto lp = torch::randn({1, frames, vocab}).mul(2).log_softmax(-1);
    const std::vector<std::vector<int64_t>> targets[] = {{{0}}, {{0, 1}}, {{1, 1}}, {{0, 1, 0}}, {{1, 1, 0}}};
    const auto& y = targets[trial % 5];
    // Every frame labelling (3^6) that collapses to y; keep the best.
    double best = -std::numeric_limits<double>::infinity();
    const auto row = lp[0];
    auto a = row.accessor<float, 2>();  // accessor() is deleted on temporaries
    for (int code = 0; code < 729; ++code) {
      std::vector<int64_t> labels;
      double score = 0;
      for (int t = 0, c = code; t < frames; ++t, c /= 3) {
        labels.push_back(c % 3);
        score += a[t][c % 3];
      }
      std::vector<int64_t> collapsed;
      for (int t = 0; t < frames; ++t)
        if (labels[t] != blank && (t == 0 || labels[t] != labels[t - 1])) collapsed.push_back(labels[t]);
      if (collapsed == y[0]) best = std::max(best, score);
    }
    const auto paths = ctc_viterbi(lp, torch::tensor({frames}), y, blank);
    ASSERT_TRUE(paths[0].ok);
    EXPECT_NEAR(paths[0].log_prob, best, 1e-4) << "trial " << trial;
    std::vector<int64_t> indices(y[0].size());
    for (size_t k = 0; k < indices.size(); ++k) indices[k] = static_cast<int64_t>(k);
    EXPECT_EQ(spelled(paths[0]), indices);
  }
}

TEST(CtcViterbi, BatchOfLongRowsMatchesTheScalarReference) {
  torch::manual_seed(3);
  const int64_t vocab = 40, blank = 39, frames = 1500;
  const std::vector<int64_t> lengths = {1500, 900, 1200};
  std::vector<std::vector<int64_t>> targets;
  for (int64_t b = 0; b < 3; ++b) {
    targets.emplace_back();
    for (int64_t k = 0; k < lengths[b] / 5; ++k) targets.back().push_back((k * 7 + b) % 13 == 0 ? 5 : (k * 11 + b) % 39);
    targets.back().push_back(targets.back().back());  // a repeat at the end
  }
  const auto lp = torch::randn({3, frames, vocab}).log_softmax(-1);
  const auto paths = ctc_viterbi(lp, torch::tensor(lengths), targets, blank);
  for (int64_t b = 0; b < 3; ++b) {
    ASSERT_TRUE(paths[b].ok) << paths[b].error;
    EXPECT_EQ(static_cast<int64_t>(paths[b].frame_token.size()), lengths[b]);
    const double reference = reference_score(lp[b].narrow(0, 0, lengths[b]).contiguous(), targets[b], blank);
    EXPECT_NEAR(paths[b].log_prob, reference, 1e-2 + 1e-5 * std::abs(reference)) << "row " << b;
    double sum = 0;
    for (float v : paths[b].frame_log_prob) sum += v;
    EXPECT_NEAR(sum, paths[b].log_prob, 1e-2 + 1e-5 * std::abs(sum));
    std::vector<int64_t> indices(targets[b].size());
    for (size_t k = 0; k < indices.size(); ++k) indices[k] = static_cast<int64_t>(k);
    EXPECT_EQ(spelled(paths[b]), indices);
  }
}

TEST(CtcViterbi, TooLongTranscriptFailsOnlyItsRow) {
  torch::manual_seed(1);
  const auto lp = torch::randn({2, 10, 5}).log_softmax(-1);
  const auto paths = ctc_viterbi(lp, torch::tensor({10, 4}), {{0, 1, 2}, {0, 1, 2, 3, 0}}, 4);
  EXPECT_TRUE(paths[0].ok);
  ASSERT_FALSE(paths[1].ok);
  EXPECT_NE(paths[1].error.find("transcript of 5 units needs at least 5 encoder frames, the audio gives 4"),
            std::string::npos)
      << paths[1].error;
  EXPECT_TRUE(paths[1].frame_token.empty());
  const auto empty = ctc_viterbi(lp.narrow(0, 0, 1), torch::tensor({10}), {{}}, 4);
  EXPECT_FALSE(empty[0].ok);
  EXPECT_NE(empty[0].error.find("empty transcript"), std::string::npos);
}

TEST(CtcViterbi, RejectsBadInput) {
  const auto lp = torch::zeros({1, 4, 3});
  EXPECT_THROW(ctc_viterbi(lp, torch::tensor({4}), {{2}}, 2), std::invalid_argument);  // the blank as a unit
  EXPECT_THROW(ctc_viterbi(lp, torch::tensor({4}), {{3}}, 2), std::invalid_argument);  // outside the head
  EXPECT_THROW(ctc_viterbi(lp, torch::tensor({5}), {{0}}, 2), std::invalid_argument);  // more frames than given
  EXPECT_THROW(ctc_viterbi(lp, torch::tensor({4, 4}), {{0}}, 2), std::invalid_argument);
}

}  // namespace
