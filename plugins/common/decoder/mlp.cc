#include "decoder/mlp.h"

#include <torch/torch.h>

#include "layers/feed_forward.h"

namespace jstip::decoder {

MlpImpl::MlpImpl(const DecoderConfig& c) : activation_(c.activation) {
  layers::activate(torch::zeros({1}), activation_);  // fail at construction on a bad name
  const ModuleNames& n = c.names;
  if (!std::string(n.gate).empty())
    gate = register_module(n.gate, jstip::nn::LoraLinear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  up = register_module(n.up, jstip::nn::LoraLinear(c.hidden_size, c.intermediate_size, c.mlp_bias));
  down = register_module(n.down, jstip::nn::LoraLinear(c.intermediate_size, c.hidden_size, c.mlp_bias));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  if (gate) return down(layers::activate(gate(x), activation_) * up(x));
  return down(layers::activate(up(x), activation_));
}

}  // namespace jstip::decoder
