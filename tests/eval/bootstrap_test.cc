#include "host/eval/bootstrap.h"

#include <gtest/gtest.h>

namespace jstip::eval {
namespace {

std::vector<RatioSample> varied_samples() {
  std::vector<RatioSample> samples;
  for (int i = 0; i < 40; ++i) samples.push_back({static_cast<double>(i % 5), static_cast<double>(8 + i % 7)});
  return samples;
}

TEST(Bootstrap, IntervalContainsEstimate) {
  const auto ci = bootstrap_ratio(varied_samples());
  EXPECT_LE(ci.lower, ci.estimate);
  EXPECT_GE(ci.upper, ci.estimate);
  EXPECT_LT(ci.lower, ci.upper);
}

TEST(Bootstrap, DeterministicBySeed) {
  BootstrapOptions a;
  a.seed = 7;
  const auto first = bootstrap_ratio(varied_samples(), a);
  const auto again = bootstrap_ratio(varied_samples(), a);
  EXPECT_EQ(first.lower, again.lower);
  EXPECT_EQ(first.upper, again.upper);
  BootstrapOptions b = a;
  b.seed = 8;
  const auto other = bootstrap_ratio(varied_samples(), b);
  EXPECT_EQ(other.estimate, first.estimate);
  EXPECT_TRUE(other.lower != first.lower || other.upper != first.upper);
}

TEST(Bootstrap, WiderForHigherConfidence) {
  BootstrapOptions narrow, wide;
  narrow.confidence = 0.5;
  wide.confidence = 0.99;
  const auto n = bootstrap_ratio(varied_samples(), narrow);
  const auto w = bootstrap_ratio(varied_samples(), wide);
  EXPECT_LE(w.lower, n.lower);
  EXPECT_GE(w.upper, n.upper);
}

TEST(Bootstrap, ConstantDataGivesPointInterval) {
  const auto ci = bootstrap_ratio(std::vector<RatioSample>(10, {1, 4}));
  EXPECT_DOUBLE_EQ(ci.estimate, 0.25);
  EXPECT_DOUBLE_EQ(ci.lower, 0.25);
  EXPECT_DOUBLE_EQ(ci.upper, 0.25);
}

TEST(Bootstrap, EdgeCases) {
  EXPECT_DOUBLE_EQ(bootstrap_ratio({}).estimate, 0.0);
  BootstrapOptions bad;
  bad.resamples = 0;
  EXPECT_THROW(bootstrap_ratio(varied_samples(), bad), std::invalid_argument);
  bad = {};
  bad.confidence = 1.0;
  EXPECT_THROW(bootstrap_ratio(varied_samples(), bad), std::invalid_argument);
}

}  // namespace
}  // namespace jstip::eval
