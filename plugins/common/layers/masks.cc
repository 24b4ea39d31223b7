#include "layers/masks.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace jstip::layers {

torch::Tensor lengths_to_mask(const torch::Tensor& lengths, int64_t max_length) {
  auto steps = torch::arange(max_length, lengths.options().dtype(torch::kInt64));
  return steps.unsqueeze(0) < lengths.to(torch::kInt64).unsqueeze(1);
}

torch::Tensor zero_padding(const torch::Tensor& x, const torch::Tensor& valid) {
  return x.masked_fill(valid.logical_not().unsqueeze(-1), 0.0);
}

torch::Tensor mean_pool_frames(const torch::Tensor& x, const torch::Tensor& lengths, int64_t factor,
                               torch::Tensor* pooled_lengths) {
  if (factor < 1) throw std::invalid_argument("mean_pool_frames: factor must be >= 1");
  const auto lengths_long = lengths.to(x.device(), torch::kInt64);
  if (factor == 1) {
    *pooled_lengths = lengths_long;
    return x;
  }
  const int64_t frames = x.size(1), groups = (frames + factor - 1) / factor;
  auto padded = zero_padding(x, lengths_to_mask(lengths_long, frames));
  if (groups * factor > frames) padded = torch::constant_pad_nd(padded, {0, 0, 0, groups * factor - frames});
  const auto sums = padded.view({x.size(0), groups, factor, x.size(2)}).sum(2);
  // Valid frames in each group: min(factor, max(0, length - g * factor)).
  const auto starts = torch::arange(groups, lengths_long.options()).unsqueeze(0) * factor;
  const auto counts = (lengths_long.unsqueeze(1) - starts).clamp(0, factor);
  *pooled_lengths = torch::div(lengths_long + (factor - 1), factor, "floor");
  return sums / counts.clamp_min(1).unsqueeze(-1).to(x.dtype());
}

torch::Tensor sinusoidal_encoding(const torch::Tensor& positions, int64_t dim) {
  auto options = positions.options().dtype(torch::kFloat32);
  auto channel_pairs = torch::arange(0, dim, 2, options);
  auto inv_freq = torch::exp(channel_pairs * (-std::log(10000.0) / static_cast<double>(dim)));
  auto angles = positions.to(torch::kFloat32).unsqueeze(1) * inv_freq.unsqueeze(0);  // [N, ceil(dim/2)]
  auto table = torch::zeros({positions.size(0), dim}, options);
  using torch::indexing::None;
  using torch::indexing::Slice;
  table.index_put_({Slice(), Slice(0, None, 2)}, torch::sin(angles));
  table.index_put_({Slice(), Slice(1, None, 2)}, torch::cos(angles).index({Slice(), Slice(0, dim / 2)}));
  return table;
}

int64_t positive_option(int64_t value, const char* name, const char* plugin) {
  if (value <= 0)
    throw std::invalid_argument(std::string(plugin) + ": option '" + name + "' must be positive, got " +
                                std::to_string(value));
  return value;
}


int64_t required_dim(int64_t value, const char* name, const char* plugin) {
  if (value <= 0)
    throw std::invalid_argument(std::string(plugin) + ": option '" + name + "' is " + std::to_string(value) +
                                "; set it, or let the composer fill it from the neighbouring slots");
  return value;
}

torch::Dtype parse_float_dtype(const std::string& name, const char* plugin) {
  if (name == "float32" || name == "fp32") return torch::kFloat32;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16") return torch::kFloat16;
  throw std::invalid_argument(std::string(plugin) + ": option 'dtype' is '" + name +
                              "'; expected float32, bfloat16 or float16");
}

void check_projector_inputs(const char* plugin, const torch::Tensor& hidden, const torch::Tensor& lengths,
                            int64_t input_dim) {
  if (hidden.dim() != 3 || hidden.size(2) != input_dim)
    throw std::invalid_argument(std::string(plugin) + ": hidden must be [B, T, " + std::to_string(input_dim) +
                                "], got " + c10::str(hidden.sizes()));
  if (lengths.dim() != 1 || lengths.size(0) != hidden.size(0))
    throw std::invalid_argument(std::string(plugin) + ": lengths must be [B] with B = " +
                                std::to_string(hidden.size(0)));
}

}  // namespace jstip::layers
