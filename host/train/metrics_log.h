// Training observability: JSON-lines metrics (one object per logged step)
// and a progress line with rate and ETA — redrawn in place on a terminal,
// plain lines otherwise (logs, CI).
#pragma once

#include <chrono>
#include <fstream>
#include <string>

#include "jstip/json.h"

namespace jstip::train {

class MetricsLog {
 public:
  // Appends to `path` (a resumed run continues the same file).
  MetricsLog(const std::string& path, int64_t total_steps, bool show_progress = true);
  void write(const Json& record);
  // Progress: "pretrain  step 40/200  loss 3.210  lr 1.0e-03  5.1 steps/s  ETA 0:31".
  void progress(const std::string& stage, int64_t step, double loss, double lr);
  void finish();

 private:
  std::ofstream out_;
  int64_t total_steps_;
  bool enabled_;  // progress output
  bool tty_;
  int64_t first_step_ = -1;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace jstip::train
