// The training budget of a comparison: `jstip compare --steps N` gives every
// config the same total of optimizer steps. The config loader cannot address
// list items (`trainer.stages.0.steps=` is an error: overrides walk maps
// only), so the whole stage list is rewritten and passed as one override,
// `trainer.stages=[{...}, ...]`, each stage keeping its share of the steps
// and all its other keys.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jstip/config.h"

namespace jstip::compare {

// Splits `total` over stages in proportion to `steps` (floor, at least 1
// each, the remainder to the last stage). Throws when total < stages.
std::vector<int64_t> scale_stage_steps(const std::vector<int64_t>& steps, int64_t total);

// Sum of trainer.stages[].steps of a resolved config; errors name the key.
int64_t total_steps(const Config& config);

// "trainer.stages=[{name: main, steps: 20}]": the config's stages scaled to `total`.
std::string stages_override(const Config& config, int64_t total);

}  // namespace jstip::compare
