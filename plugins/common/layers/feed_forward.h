// Position-wise feed-forward block: w_2(dropout(act(w_1(x)))).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

#include "jstip/nn/lora_linear.h"

namespace jstip::layers {

class FeedForwardImpl : public torch::nn::Module {
 public:
  // activation: "relu", "gelu" or "swish" (SiLU, Conformer's choice).
  FeedForwardImpl(int64_t d_model, int64_t hidden, const std::string& activation, double dropout);
  torch::Tensor forward(const torch::Tensor& x);

  jstip::nn::LoraLinear w_1{nullptr}, w_2{nullptr};

 private:
  std::string activation_;
  double dropout_;
};
TORCH_MODULE(FeedForward);

// Applies "relu", "gelu", "gelu_tanh" or "swish" (also called "silu"); anything else throws.
torch::Tensor activate(const torch::Tensor& x, const std::string& activation);

}  // namespace jstip::layers
