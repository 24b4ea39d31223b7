// Reads what the child commands wrote: eval's summary.json, decode's
// decode_summary.json and train's metrics.jsonl. Errors name the file and
// the field.
#pragma once

#include <string>

#include "host/compare/comparison.h"

namespace jstip::compare {

// `jstip eval --out DIR` -> DIR/summary.json (ASR task).
TestScore read_eval_summary(const std::string& path, const std::string& test_name);

// `jstip decode --out DIR` -> DIR/decode_summary.json: fills the real-time
// factor, tokens/s and peak memory when the file has them (missing fields
// stay unset; the report shows "—").
void read_decode_summary(const std::string& path, TestScore* score);

// `jstip train` -> metrics.jsonl: training loss per step (a resumed run
// re-logs some steps; the last record of a step wins), dev loss records and
// the final dev loss. Skipped (null) losses are left out.
void read_training_metrics(const std::string& path, ConfigRun* run);

}  // namespace jstip::compare
