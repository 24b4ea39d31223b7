#include "layers/conv_subsampling.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

namespace jstip::layers {

Conv2dSubsampling4Impl::Conv2dSubsampling4Impl(int64_t input_dim, int64_t d_model, int64_t channels) {
  if (input_dim < 7)
    throw std::invalid_argument("conv2d subsampling needs input_dim >= 7, got " + std::to_string(input_dim));
  if (channels < 0) throw std::invalid_argument("subsampling_channels must be >= 0, got " + std::to_string(channels));
  if (channels == 0) channels = d_model;
  conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, channels, 3).stride(2)));
  conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, channels, 3).stride(2)));
  int64_t freq = output_length(input_dim);
  out = register_module("out", jstip::nn::LoraLinear(channels * freq, d_model));
}

int64_t Conv2dSubsampling4Impl::output_length(int64_t length) {
  return std::max<int64_t>(((length - 1) / 2 - 1) / 2, 0);
}

torch::Tensor Conv2dSubsampling4Impl::output_lengths(const torch::Tensor& lengths) {
  return torch::clamp_min(torch::div(torch::div(lengths - 1, 2, "floor") - 1, 2, "floor"), 0);
}

torch::Tensor Conv2dSubsampling4Impl::forward(const torch::Tensor& feats) {
  if (feats.size(1) < 7)
    throw std::invalid_argument("conv2d subsampling needs at least 7 frames, got " + std::to_string(feats.size(1)));
  auto x = torch::relu(conv1(feats.unsqueeze(1)));  // [B, C, T1, F1]
  x = torch::relu(conv2(x));                       // [B, C, T2, F2]
  auto b = x.size(0), c = x.size(1), t = x.size(2), f = x.size(3);
  return out(x.transpose(1, 2).reshape({b, t, c * f}));
}

}  // namespace jstip::layers
