#include "layers/feed_forward.h"

#include <torch/torch.h>

#include <stdexcept>

namespace jstip::layers {

torch::Tensor activate(const torch::Tensor& x, const std::string& activation) {
  if (activation == "relu") return torch::relu(x);
  if (activation == "gelu") return torch::gelu(x);
  if (activation == "gelu_tanh") return torch::gelu(x, "tanh");
  if (activation == "swish" || activation == "silu") return torch::silu(x);
  throw std::invalid_argument("unknown activation '" + activation + "' (relu, gelu, gelu_tanh, swish or silu)");
}

FeedForwardImpl::FeedForwardImpl(int64_t d_model, int64_t hidden, const std::string& activation, double dropout)
    : activation_(activation), dropout_(dropout) {
  activate(torch::zeros({1}), activation);  // fail at construction on a bad name
  w_1 = register_module("w_1", jstip::nn::LoraLinear(d_model, hidden));
  w_2 = register_module("w_2", jstip::nn::LoraLinear(hidden, d_model));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  auto h = activate(w_1(x), activation_);
  if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
  return w_2(h);
}

}  // namespace jstip::layers
