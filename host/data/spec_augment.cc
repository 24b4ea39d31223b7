#include "host/data/spec_augment.h"

#include <torch/torch.h>

#include <algorithm>
#include <random>

namespace jstip::data {
namespace {

// Random [start, start + width) per utterance and mask, as (B, M) tensors.
std::pair<torch::Tensor, torch::Tensor> draw_spans(std::mt19937_64& rng, const std::vector<int64_t>& extents,
                                                   int64_t num_masks, const std::vector<int64_t>& max_widths) {
  const int64_t batch = int64_t(extents.size());
  auto start = torch::zeros({batch, num_masks}, torch::kInt64), width = torch::zeros({batch, num_masks}, torch::kInt64);
  auto s = start.accessor<int64_t, 2>(), w = width.accessor<int64_t, 2>();
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t m = 0; m < num_masks; ++m) {
      const int64_t limit = std::min(max_widths[size_t(b)], extents[size_t(b)]);
      if (limit <= 0) continue;
      w[b][m] = std::uniform_int_distribution<int64_t>(0, limit)(rng);
      s[b][m] = std::uniform_int_distribution<int64_t>(0, extents[size_t(b)] - w[b][m])(rng);
    }
  }
  return {start, width};
}

// (B, M) spans -> (B, extent) bool mask, true where any span covers.
torch::Tensor span_mask(const torch::Tensor& start, const torch::Tensor& width, int64_t extent) {
  auto pos = torch::arange(extent, torch::kInt64).view({1, 1, extent});
  auto s = start.unsqueeze(-1), e = (start + width).unsqueeze(-1);
  return ((pos >= s) & (pos < e)).any(1);
}

}  // namespace

torch::Tensor spec_augment(const torch::Tensor& features, const torch::Tensor& frame_counts,
                           const SpecAugmentOptions& options, uint64_t seed) {
  TORCH_CHECK(features.dim() == 3, "spec_augment: features must be (batch, frames, bins)");
  const int64_t batch = features.size(0), frames = features.size(1), bins = features.size(2);
  std::mt19937_64 rng(seed);
  auto counts = frame_counts.to(torch::kInt64).contiguous();
  std::vector<int64_t> lengths(counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + batch);
  std::vector<int64_t> time_limits(static_cast<size_t>(batch));
  std::vector<int64_t> bin_extents(static_cast<size_t>(batch), bins);
  std::vector<int64_t> freq_limits(static_cast<size_t>(batch), options.max_freq_width);
  for (int64_t b = 0; b < batch; ++b)
    time_limits[size_t(b)] =
        std::min(options.max_time_width, int64_t(options.max_time_ratio * double(lengths[size_t(b)])));
  auto [fs, fw] = draw_spans(rng, bin_extents, options.num_freq_masks, freq_limits);
  auto [ts, tw] = draw_spans(rng, lengths, options.num_time_masks, time_limits);
  auto mask = span_mask(ts, tw, frames).unsqueeze(-1) | span_mask(fs, fw, bins).unsqueeze(1);  // (B, T, D)
  return features.masked_fill(mask, options.mask_value);
}

}  // namespace jstip::data
