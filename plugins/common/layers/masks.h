// Padding masks, sinusoidal positions and small option/input checks shared
// by the encoders and projectors.
#pragma once

#include <torch/types.h>

#include <string>

namespace jstip::layers {

// [B, T] bool, true on the first lengths[b] frames of row b.
torch::Tensor lengths_to_mask(const torch::Tensor& lengths, int64_t max_length);

// Zeroes frames where `valid` ([B, T]) is false, so padding (which may hold
// anything, even NaN) never leaks into convolutions or attention values.
torch::Tensor zero_padding(const torch::Tensor& x, const torch::Tensor& valid);

// Mean of each run of `factor` frames of x [B, T, D], over a row's valid
// frames only (the last run of a row may be short): [B, ceil(T / factor), D],
// zero beyond each row's new length ceil(lengths[b] / factor), which it writes
// to *pooled_lengths. factor 1 returns x and lengths as they are.
torch::Tensor mean_pool_frames(const torch::Tensor& x, const torch::Tensor& lengths, int64_t factor,
                               torch::Tensor* pooled_lengths);

// Sinusoidal encodings of (possibly negative, fractional) positions:
// [N] -> [N, dim], sin on even channels and cos on odd ones (Vaswani et al.).
torch::Tensor sinusoidal_encoding(const torch::Tensor& positions, int64_t dim);

// Reads an option that must be positive, naming it when it is not.
int64_t positive_option(int64_t value, const char* name, const char* plugin);

// Projectors' input_dim/output_dim default to 0, meaning "the host fills them
// from the neighbouring slots"; a 0 that reaches the constructor is an error.
int64_t required_dim(int64_t value, const char* name, const char* plugin);
// "float32" / "bfloat16" / "float16" -> dtype; anything else names the option.
torch::Dtype parse_float_dtype(const std::string& name, const char* plugin);

// Checks hidden [B, T, input_dim] and lengths [B] for a projector.
void check_projector_inputs(const char* plugin, const torch::Tensor& hidden, const torch::Tensor& lengths,
                            int64_t input_dim);
}  // namespace jstip::layers
