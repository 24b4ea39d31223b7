#include "host/compare/results_reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/compare/fixture_comparison.h"

namespace jstip::compare {
namespace {

using testing::fixture_dir;

TEST(ResultsReader, EvalSummaryWithEntities) {
  const TestScore s = read_eval_summary(fixture_dir() + "/jstip/medical/summary.json", "medical");
  EXPECT_EQ(s.test, "medical");
  EXPECT_EQ(s.utterances, 6);
  EXPECT_DOUBLE_EQ(s.wer.estimate, 0.2);
  EXPECT_DOUBLE_EQ(s.wer.lower, 0.1);
  EXPECT_DOUBLE_EQ(s.cer.upper, 0.2);
  ASSERT_TRUE(s.entity_accuracy.has_value());
  EXPECT_DOUBLE_EQ(s.entity_accuracy->estimate, 5.0 / 6.0);
  EXPECT_EQ(s.entities_found, 5);
  EXPECT_EQ(s.entities_total, 6);
}

TEST(ResultsReader, EvalSummaryWithoutEntities) {
  const TestScore s = read_eval_summary(fixture_dir() + "/asr-only/clean/summary.json", "clean");
  EXPECT_FALSE(s.entity_accuracy.has_value());
  EXPECT_DOUBLE_EQ(s.wer.estimate, 0.525);
}

TEST(ResultsReader, DecodeSummaryFieldsAreOptional) {
  TestScore a, b;
  read_decode_summary(fixture_dir() + "/asr-only/clean/decode_summary.json", &a);
  EXPECT_DOUBLE_EQ(*a.real_time_factor, 0.0421);
  EXPECT_DOUBLE_EQ(*a.tokens_per_second, 310.5);
  EXPECT_DOUBLE_EQ(*a.peak_memory_mib, 812.25);
  read_decode_summary(fixture_dir() + "/asr-only/medical/decode_summary.json", &b);
  EXPECT_DOUBLE_EQ(*b.real_time_factor, 0.0398);
  EXPECT_FALSE(b.peak_memory_mib.has_value());
}

TEST(ResultsReader, MetricsKeepTheLastValueOfAStepAndDropSkippedSteps) {
  ConfigRun run;
  read_training_metrics(fixture_dir() + "/asr-only/metrics.jsonl", &run);
  ASSERT_EQ(run.train_loss.size(), 3u);  // steps 10, 20, 30; step 40 was skipped
  EXPECT_EQ(run.train_loss[2].step, 30);
  EXPECT_DOUBLE_EQ(run.train_loss[2].value, 4.5);  // the re-logged (resumed) value
  ASSERT_EQ(run.dev_loss.size(), 2u);
  EXPECT_DOUBLE_EQ(*run.final_dev_loss, 4.875);
  EXPECT_EQ(run.steps, 30);
}

TEST(ResultsReader, ErrorsNameTheFileAndField) {
  const auto dir = std::filesystem::temp_directory_path() / "jstip_compare_reader_test";
  std::filesystem::create_directories(dir);
  const std::string summary = (dir / "summary.json").string();
  std::ofstream(summary) << R"({"task": "asr", "utterances": 1, "wer": {"estimate": 0.5, "lower": 0.1}})";
  try {
    read_eval_summary(summary, "t");
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()), summary + ": \"wer.upper\" must be a number");
  }
  const std::string metrics = (dir / "metrics.jsonl").string();
  std::ofstream(metrics) << "{\"step\": 1, \"loss\": 2.0}\n{\"loss\": 1.0}\n";
  try {
    ConfigRun run;
    read_training_metrics(metrics, &run);
    FAIL() << "no error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()), metrics + ":2: record without an integer \"step\"");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace jstip::compare
