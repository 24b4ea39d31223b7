#include "host/eval/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace jstip::eval {
namespace {

double ratio(double numerator, double denominator) { return denominator == 0 ? 0.0 : numerator / denominator; }

// Index in [0, n) from the raw 64-bit engine output. std::uniform_int_distribution
// differs between standard libraries, which would make intervals depend on
// the compiler; the modulo bias is below 1e-15 for any realistic n.
size_t draw_index(std::mt19937_64& rng, size_t n) { return static_cast<size_t>(rng() % n); }

}  // namespace

ConfidenceInterval bootstrap_ratio(const std::vector<RatioSample>& samples, const BootstrapOptions& options) {
  if (options.resamples < 1) throw std::invalid_argument("bootstrap: resamples must be >= 1");
  if (!(options.confidence > 0 && options.confidence < 1)) {
    throw std::invalid_argument("bootstrap: confidence must lie in (0, 1)");
  }
  ConfidenceInterval interval;
  double numerator = 0, denominator = 0;
  for (const auto& s : samples) numerator += s.numerator, denominator += s.denominator;
  interval.estimate = ratio(numerator, denominator);
  if (samples.empty()) {
    interval.lower = interval.upper = interval.estimate;
    return interval;
  }

  std::mt19937_64 rng(options.seed);
  std::vector<double> ratios(options.resamples);
  for (auto& r : ratios) {
    double num = 0, den = 0;
    for (size_t k = 0; k < samples.size(); ++k) {
      const auto& s = samples[draw_index(rng, samples.size())];
      num += s.numerator;
      den += s.denominator;
    }
    r = ratio(num, den);
  }
  std::sort(ratios.begin(), ratios.end());
  // Percentile interval with the nearest-rank rule on the sorted ratios.
  const double tail = (1 - options.confidence) / 2;
  auto rank = [&](double q) {
    const auto last = static_cast<double>(ratios.size() - 1);
    return ratios[static_cast<size_t>(std::clamp(std::round(q * last), 0.0, last))];
  };
  interval.lower = rank(tail);
  interval.upper = rank(1 - tail);
  return interval;
}

}  // namespace jstip::eval
