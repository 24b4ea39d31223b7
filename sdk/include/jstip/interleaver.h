// Interleaver: one aligned sample + a seeded RNG -> a Plan.
#pragma once

#include <random>

#include "jstip/component.h"
#include "jstip/plan.h"

namespace jstip {

class JSTIP_API Interleaver : public Component {
 public:
  ~Interleaver() override;  // defined in libjstip_sdk: one vtable and typeinfo for all plugins

  // Must be deterministic given the RNG state; must not keep per-sample state.
  virtual Plan plan(const PlanInput& input, std::mt19937_64& rng) const = 0;

  // What the strategy needs from a sample; the host refuses data that lacks it
  // with a message naming the sample and the strategy.
  virtual bool needs_audio() const = 0;
  virtual bool needs_timings() const = 0;
};

}  // namespace jstip
