// What `jstip compare` collects: per config, its training run (loss curves,
// wall time, final dev loss, the checkpoint decoded) and, per test set, the
// scores `jstip eval` and `jstip decode` wrote. The report writers
// (markdown_report.h, results_json.h, gnuplot_plots.h) read only this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jstip::compare {

// A rate (0..1) with its bootstrap 95% interval, as in eval's summary.json.
struct Interval {
  double estimate = 0;
  double lower = 0;
  double upper = 0;
};

struct TestSet {
  std::string name;  // --test NAME=GLOB
  std::string glob;
};

// One config decoded and scored on one test set.
struct TestScore {
  std::string test;
  int64_t utterances = 0;
  Interval wer;
  Interval cer;
  std::optional<Interval> entity_accuracy;  // only when the references carry entities
  int64_t entities_found = 0;
  int64_t entities_total = 0;
  std::optional<double> real_time_factor;  // from decode_summary.json, when it says
  std::optional<double> tokens_per_second;
  std::optional<double> peak_memory_mib;  // peak resident memory of the decode process
};

struct CurvePoint {
  int64_t step = 0;
  double value = 0;
};

struct ConfigRun {
  std::string name;         // config file stem
  std::string config_path;  // as given
  std::string run_dir;      // DIR/runs/<name>
  std::string checkpoint;   // the checkpoint folder decoded
  std::string checkpoint_choice;  // "best dev loss" or "latest"
  bool reused = false;      // --reuse found a finished run
  int64_t steps = 0;        // optimizer steps of the run
  std::optional<double> train_wall_seconds;  // measured by compare when it trained
  std::optional<double> final_dev_loss;
  std::vector<CurvePoint> train_loss;  // metrics.jsonl, last value per step
  std::vector<CurvePoint> dev_loss;
  std::vector<TestScore> scores;  // in test-set order
};

struct Comparison {
  std::string decoding;  // how the test sets were decoded, e.g. "beam 4, first 50 utterances"
  std::vector<TestSet> tests;
  std::vector<ConfigRun> runs;
};

}  // namespace jstip::compare
