// Global CMVN: per-bin mean and inverse standard deviation over a corpus,
// accumulated batch by batch (padding excluded), stored as a small text file.
#pragma once

#include <torch/types.h>

#include <string>

namespace jstip::data {

class GlobalCmvn {
 public:
  // features (B, T, D), frame counts (B); frames past a count are ignored.
  void accumulate(const torch::Tensor& features, const torch::Tensor& frame_counts);
  void finalize(double floor_variance = 1e-10);  // after the last accumulate
  torch::Tensor apply(const torch::Tensor& features) const;  // (x - mean) * istd

  void save(const std::string& path) const;  // atomic; "dim N", "frames N", "mean ...", "istd ..."
  static GlobalCmvn load(const std::string& path);

  const torch::Tensor& mean() const { return mean_; }
  const torch::Tensor& istd() const { return istd_; }
  int64_t frames() const { return frames_; }

 private:
  torch::Tensor sum_, sum_squares_, mean_, istd_;  // float64 accumulators
  int64_t frames_ = 0;
};

}  // namespace jstip::data
