// Bootstrap confidence intervals for corpus-level ratios such as WER
// (errors / reference words) and entity accuracy (found / entities).
//
// Utterances are the unit of resampling (errors within an utterance are not
// independent): each resample draws n utterances with replacement, sums
// their numerators and denominators and takes the ratio; the interval is the
// percentile interval of those ratios. The RNG is seeded, so the same input
// and seed give the same interval on every run and machine.
#pragma once

#include <cstdint>
#include <vector>

namespace jstip::eval {

struct RatioSample {
  double numerator = 0, denominator = 0;  // one utterance's share
};

struct BootstrapOptions {
  int resamples = 1000;
  uint64_t seed = 20240601;
  double confidence = 0.95;
};

struct ConfidenceInterval {
  double estimate = 0;  // the ratio on the full (not resampled) corpus
  double lower = 0, upper = 0;
};

// A ratio with a zero denominator counts as 0. Throws std::invalid_argument
// on resamples < 1 or confidence outside (0, 1).
ConfidenceInterval bootstrap_ratio(const std::vector<RatioSample>& samples, const BootstrapOptions& options = {});

}  // namespace jstip::eval
