// SpecAugment (Park et al. 2019) time and frequency masks for training.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace jstip::data {

struct SpecAugmentOptions {
  int64_t num_freq_masks = 2;
  int64_t max_freq_width = 27;    // bins
  int64_t num_time_masks = 2;
  int64_t max_time_width = 40;    // frames
  double max_time_ratio = 0.05;   // a time mask covers at most this share of the utterance
  double mask_value = 0;          // 0 = the mean after CMVN
};

// features (B, T, D), frame counts (B) -> masked copy. Masks stay within each
// utterance's own frames; the same seed gives the same masks.
torch::Tensor spec_augment(const torch::Tensor& features, const torch::Tensor& frame_counts,
                           const SpecAugmentOptions& options, uint64_t seed);

}  // namespace jstip::data
