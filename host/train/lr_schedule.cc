#include "host/train/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace jstip::train {

void LrSchedule::check() const {
  if (peak <= 0) throw std::invalid_argument("lr must be > 0");
  if (min_ratio < 0 || min_ratio > 1) throw std::invalid_argument("min_lr_ratio must be in [0, 1]");
  if (warmup_steps < 0) throw std::invalid_argument("warmup_steps must be >= 0");
  if (decay != "cosine" && decay != "linear" && decay != "constant")
    throw std::invalid_argument("schedule must be cosine, linear or constant, not '" + decay + "'");
}

double LrSchedule::at(int64_t step) const {
  if (step < warmup_steps) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (decay == "constant") return peak;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = std::clamp(static_cast<double>(step - warmup_steps) / span, 0.0, 1.0);
  const double shape = decay == "cosine" ? 0.5 * (1.0 + std::cos(M_PI * progress)) : 1.0 - progress;
  return peak * (min_ratio + (1.0 - min_ratio) * shape);
}

}  // namespace jstip::train
