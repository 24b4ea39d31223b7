#include "conv1d_projector.h"

#include <torch/torch.h>

#include "layers/masks.h"

namespace jstip::conv1d {

Conv1dProjector::Conv1dProjector(const Config& options)
    : input_dim_(layers::required_dim(options.get_int("input_dim", 0), "input_dim", "conv1d")),
      output_dim_(layers::required_dim(options.get_int("output_dim", 0), "output_dim", "conv1d")),
      stride_(layers::positive_option(options.get_int("stride", 2), "stride", "conv1d")),
      kernel_(layers::positive_option(options.get_int("kernel_size", 3), "kernel_size", "conv1d")),
      padding_(kernel_ / 2) {
  int64_t hidden = options.get_int("hidden_dim", 0);
  if (hidden <= 0) hidden = output_dim_;
  conv = register_module("conv", jstip::nn::LoraLinear(kernel_ * input_dim_, hidden));
  linear = register_module("linear", jstip::nn::LoraLinear(hidden, output_dim_));
}

torch::Tensor Conv1dProjector::output_lengths(const torch::Tensor& lengths) const {
  auto l = lengths.to(torch::kInt64);
  auto out = torch::div(l + 2 * padding_ - kernel_, stride_, "floor") + 1;
  return torch::where(l > 0, out.clamp_min(0), torch::zeros_like(out));
}

ProjectorOutput Conv1dProjector::project(const torch::Tensor& hidden, const torch::Tensor& lengths_in) {
  layers::check_projector_inputs("conv1d", hidden, lengths_in, input_dim_);
  auto lengths = lengths_in.to(hidden.device(), torch::kInt64);  // callers may keep lengths on the CPU
  // Zeroed padding stands in for the convolution's own zero padding, so a
  // valid output frame is the same whether or not longer rows share the batch.
  auto x = layers::zero_padding(hidden, layers::lengths_to_mask(lengths, hidden.size(1)));
  int64_t right = std::max<int64_t>(padding_, kernel_ - padding_ - x.size(1));  // at least one window
  x = torch::constant_pad_nd(x, {0, 0, padding_, right});
  auto windows = x.unfold(1, kernel_, stride_);  // [B, T', D, k]
  windows = windows.transpose(2, 3).reshape({windows.size(0), windows.size(1), kernel_ * input_dim_});
  auto y = torch::gelu(conv(windows));
  ProjectorOutput out;
  out.lengths = output_lengths(lengths);
  out.embeddings = layers::zero_padding(linear(y), layers::lengths_to_mask(out.lengths, y.size(1)));
  return out;
}

}  // namespace jstip::conv1d
