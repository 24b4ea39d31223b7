// Conv2d subsampling x4 (two 3x3 stride-2 convolutions with ReLU, then a
// Linear to d_model), the front end of both speech encoders. `channels` of the
// convolutions default to d_model; the second convolution costs channels^2, so
// in a small encoder it dominates the whole encoder's compute unless narrowed.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "jstip/nn/lora_linear.h"

namespace jstip::layers {

class Conv2dSubsampling4Impl : public torch::nn::Module {
 public:
  Conv2dSubsampling4Impl(int64_t input_dim, int64_t d_model, int64_t channels = 0);

  // feats [B, T, F] with padding already zeroed -> [B, T', d_model].
  // Unpadded convolutions: output frame t reads input frames 4t..4t+6, so a
  // valid output frame never reads past its utterance's end.
  torch::Tensor forward(const torch::Tensor& feats);

  static torch::Tensor output_lengths(const torch::Tensor& lengths);  // ((L - 1) / 2 - 1) / 2
  static int64_t output_length(int64_t length);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  jstip::nn::LoraLinear out{nullptr};
};
TORCH_MODULE(Conv2dSubsampling4);

}  // namespace jstip::layers
