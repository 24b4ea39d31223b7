// ctc_greedy: best unit per frame, repeats merged, blanks dropped, padding ignored.
#include "host/decode/ctc_greedy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace jstip::decode {
namespace {

// Logits [1, T, V] whose best unit at frame t is best[t] (probability ~1).
torch::Tensor peaked(const std::vector<std::vector<int64_t>>& rows, int64_t vocab) {
  int64_t frames = 0;
  for (const auto& r : rows) frames = std::max<int64_t>(frames, int64_t(r.size()));
  auto logits = torch::zeros({int64_t(rows.size()), frames, vocab});
  for (size_t b = 0; b < rows.size(); ++b)
    for (size_t t = 0; t < rows[b].size(); ++t) logits[int64_t(b)][int64_t(t)][rows[b][t]] = 20.0;
  return logits;
}

TEST(CtcGreedy, MergesRepeatsDropsBlanksAndKeepsRepeatsAcrossABlank) {
  const int64_t blank = 4;  // vocab 5: units 0..3 + blank
  auto logits = peaked({{blank, 1, 1, blank, 1, 2, 2, 3, blank, 0}}, 5);
  auto paths = ctc_greedy(logits, torch::tensor({10}));
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0].units, (std::vector<int64_t>{1, 1, 2, 3, 0}));
}

TEST(CtcGreedy, IgnoresFramesPastEachRowsLength) {
  const int64_t blank = 3;
  // Row 1's frames after its length say "2": padding must not emit.
  auto logits = peaked({{0, blank, 1, 1}, {1, blank, 2, 2}}, 4);
  auto paths = ctc_greedy(logits, torch::tensor({4, 2}));
  EXPECT_EQ(paths[0].units, (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(paths[1].units, (std::vector<int64_t>{1}));
}

TEST(CtcGreedy, AllBlankGivesAnEmptyPathAndTheBestPathLogProbability) {
  // Two frames, vocab 2 (unit 0, blank 1): blank wins with p = 0.75 in each frame.
  auto logits = torch::log(torch::tensor({0.25f, 0.75f})).repeat({1, 2, 1});
  auto paths = ctc_greedy(logits, torch::tensor({2}));
  EXPECT_TRUE(paths[0].units.empty());
  EXPECT_NEAR(paths[0].log_prob, 2 * std::log(0.75), 1e-5);
}

}  // namespace
}  // namespace jstip::decode
