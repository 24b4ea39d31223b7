// The comparison the report tests share: two configs x two test sets read
// from fixtures/ (eval summary.json, decode_summary.json, metrics.jsonl as
// the child commands write them), and golden-file checks of exact outputs.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "host/compare/comparison.h"
#include "host/compare/results_reader.h"

namespace jstip::compare::testing {

inline std::string fixture_dir() { return JSTIP_SOURCE_DIR "/tests/compare/fixtures"; }

inline Comparison fixture_comparison() {
  Comparison c;
  c.decoding = "beam 4, first 8 utterances per test set";
  c.tests = {{"clean", "data/test/clean/*.shard"}, {"medical", "data/test/medical/*.shard"}};
  for (const std::string name : {"asr-only", "jstip"}) {
    ConfigRun run;
    run.name = name;
    run.config_path = "configs/" + name + ".yaml";
    run.run_dir = "runs/" + name;
    run.checkpoint = "runs/" + name + "/checkpoints/step-000040";
    run.checkpoint_choice = name == "jstip" ? "best dev loss" : "latest";
    run.steps = 40;
    run.reused = name == "asr-only";
    run.train_wall_seconds = name == "asr-only" ? 3725.4 : 42.25;
    read_training_metrics(fixture_dir() + "/" + name + "/metrics.jsonl", &run);
    for (const auto& test : c.tests) {
      const std::string dir = fixture_dir() + "/" + name + "/" + test.name;
      TestScore score = read_eval_summary(dir + "/summary.json", test.name);
      if (std::filesystem::exists(dir + "/decode_summary.json")) read_decode_summary(dir + "/decode_summary.json", &score);
      run.scores.push_back(score);
    }
    c.runs.push_back(run);
  }
  return c;
}

// Compares with fixtures/expected/<name>; JSTIP_UPDATE_GOLDEN=1 rewrites the file instead.
inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = fixture_dir() + "/expected/" + name;
  if (std::getenv("JSTIP_UPDATE_GOLDEN")) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (JSTIP_UPDATE_GOLDEN=1 writes it)";
  std::ostringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str()) << "differs from " << path;
}

}  // namespace jstip::compare::testing
