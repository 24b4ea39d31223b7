// CTC prefix scores against brute force: every frame labelling of a few
// frames enumerated, collapsed, and the probability of those whose output
// starts with the prefix summed; EOS against the output being exactly the
// prefix; padded rows against the same row unpadded.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <vector>

#include "host/decode/ctc_prefix_score.h"

namespace {

using jstip::decode::CtcCandidateScores;
using jstip::decode::CtcPrefixScorer;
using jstip::decode::CtcPrefixState;

constexpr int64_t kUnits = 4, kBlank = kUnits, kEos = 3;  // unit 3 doubles as EOS, as </s> does for pieces

// Collapsed output of a frame labelling: repeats merged, blanks dropped.
std::vector<int64_t> collapse(const std::vector<int64_t>& labels) {
  std::vector<int64_t> out;
  int64_t previous = -1;
  for (int64_t l : labels) {
    if (l != kBlank && l != previous) out.push_back(l);
    previous = l;
  }
  return out;
}

// P(output starts with / equals `prefix`) over the first `frames` frames of log_probs [T, V].
double brute_force(const torch::Tensor& log_probs, int64_t frames, const std::vector<int64_t>& prefix, bool whole) {
  const torch::Tensor probs = log_probs.exp().contiguous();
  auto p = probs.accessor<float, 2>();
  double total = 0;
  std::vector<int64_t> labels(static_cast<size_t>(frames));
  std::function<void(int64_t, double)> walk = [&](int64_t t, double prob) {
    if (t == frames) {
      auto out = collapse(labels);
      const bool starts = out.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), out.begin());
      if (whole ? out == prefix : starts) total += prob;
      return;
    }
    for (int64_t v = 0; v <= kBlank; ++v) {
      labels[size_t(t)] = v;
      walk(t + 1, prob * p[t][v]);
    }
  };
  walk(0, 1.0);
  return total;
}

TEST(CtcPrefixScore, MatchesBruteForceForEveryPrefixAndCandidate) {
  torch::manual_seed(3);
  const int64_t frames = 5;
  auto logits = torch::randn({2, frames, kUnits + 1}) * 2;
  auto lengths = torch::tensor({frames, int64_t(3)}, torch::kLong);  // row 1 is padded after 3 frames
  CtcPrefixScorer scorer(logits, lengths, kEos);
  auto log_probs = logits.log_softmax(-1);
  auto candidates = torch::tensor({{0, 1, 2, 3}, {0, 1, 2, 3}}, torch::kLong);

  CtcPrefixState state = scorer.initial(torch::tensor({0, 1}, torch::kLong));
  std::vector<std::vector<int64_t>> prefix(2);
  // Grow the prefixes 0 -> 0 1 -> 0 1 1 (a repeat, which needs a blank between) in both rows.
  for (int64_t next : {0, 1, 1, -1}) {
    CtcCandidateScores scores = scorer.score(state, candidates);
    for (int64_t row = 0; row < 2; ++row) {
      const int64_t valid = lengths[row].item<int64_t>();
      EXPECT_NEAR(std::exp(state.score[row].item<double>()),
                  brute_force(log_probs[row], valid, prefix[size_t(row)], false), 1e-5);
      for (int64_t c = 0; c < kUnits; ++c) {
        auto extended = prefix[size_t(row)];
        const bool eos = c == kEos;
        if (!eos) extended.push_back(c);
        const double expected = brute_force(log_probs[row], valid, extended, eos);
        const double got = scores.score[row][c].item<double>();
        EXPECT_NEAR(expected > 0 ? std::exp(got) : 0.0, expected, 1e-5)
            << "row " << row << " prefix length " << prefix[size_t(row)].size() << " candidate " << c;
      }
    }
    if (next < 0) break;
    state = CtcPrefixScorer::extend(state, scores, candidates, torch::tensor({next, 4 + next}, torch::kLong));
    for (auto& p : prefix) p.push_back(next);
    EXPECT_EQ(state.last[0].item<int64_t>(), next);
    EXPECT_EQ(state.utterance[1].item<int64_t>(), 1);
  }
}

TEST(CtcPrefixScore, PaddingDoesNotChangeScores) {
  torch::manual_seed(4);
  auto short_row = torch::randn({1, 6, kUnits + 1});
  auto padded = torch::cat({short_row, torch::randn({1, 4, kUnits + 1}) * 5}, 1);  // junk after the length
  CtcPrefixScorer alone(short_row, torch::tensor({int64_t(6)}), kEos);
  CtcPrefixScorer in_batch(padded, torch::tensor({int64_t(6)}), kEos);
  auto candidates = torch::tensor({{0, 1, 2, 3}}, torch::kLong);
  auto a = alone.initial(torch::tensor({int64_t(0)}));
  auto b = in_batch.initial(torch::tensor({int64_t(0)}));
  for (int64_t next : {2, 0, 1}) {
    auto sa = alone.score(a, candidates), sb = in_batch.score(b, candidates);
    EXPECT_TRUE(torch::allclose(sa.score, sb.score, 1e-5, 1e-5)) << sa.score << sb.score;
    a = CtcPrefixScorer::extend(a, sa, candidates, torch::tensor({next}));
    b = CtcPrefixScorer::extend(b, sb, candidates, torch::tensor({next}));
  }
}

TEST(CtcPrefixScore, IdsOutsideTheUnitsScoreAsImpossible) {
  auto logits = torch::zeros({1, 4, kUnits + 1});
  CtcPrefixScorer scorer(logits, torch::tensor({int64_t(4)}), kEos);
  auto state = scorer.initial(torch::tensor({int64_t(0)}));
  auto scores = scorer.score(state, torch::tensor({{int64_t(1), kBlank, int64_t(9)}}));
  EXPECT_GT(scores.score[0][0].item<double>(), -10);
  EXPECT_LT(scores.score[0][1].item<double>(), -1e9);  // the blank is no output unit
  EXPECT_LT(scores.score[0][2].item<double>(), -1e9);
}

}  // namespace
