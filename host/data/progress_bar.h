// A one-line progress bar on stderr for long data commands; silent when
// stderr is not a terminal or when disabled, so logs stay clean.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace jstip::data {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled = true);
  void update(int64_t done, const std::string& note = "");  // redraws at most 10 times a second
  void finish(const std::string& note = "");

 private:
  void draw(int64_t done, const std::string& note);
  std::string label_;
  int64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace jstip::data
