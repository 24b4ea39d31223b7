// Exact results.md and results.json of the fixture comparison (golden files
// in fixtures/expected/).
#include <gtest/gtest.h>

#include "host/compare/markdown_report.h"
#include "host/compare/results_json.h"
#include "tests/compare/fixture_comparison.h"

namespace jstip::compare {
namespace {

TEST(MarkdownReport, FixtureComparison) {
  const Comparison c = testing::fixture_comparison();
  testing::expect_golden("results.md", markdown_report(c, {{"training loss", "loss.png"},
                                                           {"WER", "wer.png"},
                                                           {"entity accuracy", "entity_accuracy.png"}}));
}

TEST(MarkdownReport, WithoutEntitiesSaysSo) {
  Comparison c = testing::fixture_comparison();
  c.tests.pop_back();  // only "clean", which has no entities
  for (auto& run : c.runs) run.scores.pop_back();
  const std::string md = markdown_report(c, {});
  EXPECT_NE(md.find("## Entity accuracy % [95% CI]\n\nNo test set has reference entities.\n"), std::string::npos);
  EXPECT_EQ(md.find("## Plots"), std::string::npos);
}

TEST(MarkdownReport, OneConfigHasNoBoldBest) {
  Comparison c = testing::fixture_comparison();
  c.runs.pop_back();
  EXPECT_EQ(markdown_report(c, {}).find("**"), std::string::npos);
}

TEST(MarkdownReport, Durations) {
  EXPECT_EQ(format_duration(42.25), "42.2 s");
  EXPECT_EQ(format_duration(59.94), "59.9 s");
  EXPECT_EQ(format_duration(61.5), "1m 02s");
  EXPECT_EQ(format_duration(3725.4), "1h 02m 05s");
}

TEST(ResultsJson, FixtureComparison) {
  testing::expect_golden("results.json", results_json(testing::fixture_comparison()).dump(2) + "\n");
}

}  // namespace
}  // namespace jstip::compare
