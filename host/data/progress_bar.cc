#include "host/data/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace jstip::data {

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled && ::isatty(2)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_ - std::chrono::seconds(1)) {}

void ProgressBar::update(int64_t done, const std::string& note) {
  const auto now = std::chrono::steady_clock::now();
  if (!enabled_ || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done, note);
}

void ProgressBar::finish(const std::string& note) {
  if (!enabled_) return;
  draw(total_, note);
  std::fputc('\n', stderr);
}

void ProgressBar::draw(int64_t done, const std::string& note) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double share = total_ > 0 ? double(done) / double(total_) : 0;
  const int width = 30, filled = int(share * width);
  std::string bar(size_t(filled), '#');
  bar.resize(size_t(width), '.');
  const double eta = done > 0 ? elapsed * double(total_ - done) / double(done) : 0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %3.0f%% %.0fs eta %.0fs %s\033[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total_), 100 * share, elapsed, eta, note.c_str());
  std::fflush(stderr);
}

}  // namespace jstip::data
