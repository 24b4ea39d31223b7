#include "host/train/metrics_log.h"

#include <unistd.h>

#include <cstdio>

namespace jstip::train {

MetricsLog::MetricsLog(const std::string& path, int64_t total_steps, bool show_progress)
    : total_steps_(total_steps), enabled_(show_progress), tty_(::isatty(STDERR_FILENO) == 1) {
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error(path + ": cannot open metrics file for writing");
  start_ = std::chrono::steady_clock::now();
}

void MetricsLog::write(const Json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
}

void MetricsLog::progress(const std::string& stage, int64_t step, double loss, double lr) {
  if (!enabled_) return;
  if (first_step_ < 0) {
    first_step_ = step - 1;
    start_ = std::chrono::steady_clock::now();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? (step - first_step_) / seconds : 0;
  const int64_t eta = rate > 0 ? static_cast<int64_t>((total_steps_ - step) / rate) : 0;
  char line[256];
  std::snprintf(line, sizeof(line), "%-10s step %lld/%lld  loss %.3f  lr %.1e  %.2f steps/s  ETA %lld:%02lld",
                stage.c_str(), static_cast<long long>(step), static_cast<long long>(total_steps_), loss, lr, rate,
                static_cast<long long>(eta / 60), static_cast<long long>(eta % 60));
  if (tty_) {
    std::fprintf(stderr, "\r%s\033[K", line);
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

void MetricsLog::finish() {
  if (enabled_ && tty_) std::fprintf(stderr, "\n");
}

}  // namespace jstip::train
