// Rotary position embeddings (RoPE) in Hugging Face's non-interleaved layout:
// channel i is paired with channel i + head_dim / 2.
#pragma once

#include <torch/types.h>

#include "decoder/config.h"

namespace jstip::decoder {

// Inverse frequencies [head_dim / 2] (float32), with the config's rope scaling applied.
torch::Tensor rotary_inverse_frequencies(const RotaryConfig& config, int64_t head_dim, const torch::TensorOptions& options);

// cos and signed sin tables [B, 1, T, head_dim] for position ids [B, T]; the sin
// table's first half is negated, which apply_rotary expects.
struct RotaryTables {
  torch::Tensor cos, signed_sin;
};
RotaryTables rotary_tables(const torch::Tensor& positions, const torch::Tensor& inv_freq, torch::Dtype dtype);

// x [B, H, T, head_dim] rotated by the tables.
torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& tables);

}  // namespace jstip::decoder
