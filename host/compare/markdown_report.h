// results.md of `jstip compare`: config x test-set tables of WER and entity
// accuracy with their 95% intervals, the decoding real-time factor, and one
// training row per config (steps, wall time, final dev loss, checkpoint).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "host/compare/comparison.h"

namespace jstip::compare {

// `plots`: (caption, file name relative to results.md) of the PNGs made.
std::string markdown_report(const Comparison& comparison,
                            const std::vector<std::pair<std::string, std::string>>& plots);

// "42.3 s", "12m 03s", "1h 02m 03s".
std::string format_duration(double seconds);

}  // namespace jstip::compare
