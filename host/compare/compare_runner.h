// `jstip compare`: train each config on the same data and budget (or reuse
// its finished run), decode every test set with its checkpoint, score it,
// and write results.md, results.json and PNG plots into one folder. Train,
// decode and eval run as child processes of this same binary.
//
//   DIR/runs/<config>/                 jstip train output (output_dir)
//   DIR/decode/<config>/<test>/        jstip decode output (hyp.jsonl, decode_summary.json)
//   DIR/eval/<config>/<test>/          jstip eval output (summary.json, trn, alignments)
//   DIR/results.md, results.json, loss.png, wer.png, entity_accuracy.png, plots/ (data + gnuplot scripts)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/compare/comparison.h"

namespace jstip::compare {

struct CompareRequest {
  std::vector<std::string> configs;    // one YAML file per strategy; name = file stem
  std::vector<TestSet> tests;          // --test NAME=GLOB
  std::string out_dir;
  std::vector<std::string> overrides;  // key=value, applied to every config
  bool reuse = false;                  // keep finished runs, resume unfinished ones
  int64_t steps = 0;                   // total training steps per config; 0 = as configured
  int64_t beam = 0;                    // decode options; 0 = decode's default
  int64_t batch = 0;
  int64_t limit = 0;
  int64_t threads = 0;                 // passed on to the children when > 0
  int64_t jobs = 1;                    // configs trained/decoded at the same time (--jobs)
  std::string log_level;               // passed on when set
  bool quiet = false;                  // no per-step training progress lines
};

// Test-set and config names become folder names: letters, digits, . _ + -.
void check_name(const std::string& name, const std::string& what);

// "NAME=GLOB" -> TestSet; errors name the argument.
TestSet parse_test_set(const std::string& argument);

// Returns 0, or the exit status of the first child that failed (after
// logging which config / test set it was). With jobs > 1 the configs run that
// many at a time; after a failure no new config starts.
int run_comparison(const CompareRequest& request);

}  // namespace jstip::compare
