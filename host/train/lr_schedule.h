// Learning-rate schedules: linear warmup, then cosine, linear or constant decay.
#pragma once

#include <cstdint>
#include <string>

namespace jstip::train {

struct LrSchedule {
  double peak = 1e-3;
  double min_ratio = 0.1;     // final lr = peak * min_ratio (cosine, linear)
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  std::string decay = "cosine";  // cosine | linear | constant

  double at(int64_t step) const;  // step counts from 0 within the stage
  void check() const;             // throws std::invalid_argument naming the bad field
};

}  // namespace jstip::train
