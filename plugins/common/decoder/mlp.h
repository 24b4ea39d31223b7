// The feed-forward block of a decoder layer: gated (llama's SwiGLU,
// down(silu(gate(x)) * up(x))) or plain (gpt2's down(gelu_tanh(up(x)))),
// as the config's names and activation say.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <string>

#include "decoder/config.h"
#include "jstip/nn/lora_linear.h"

namespace jstip::decoder {

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const DecoderConfig& config);
  torch::Tensor forward(const torch::Tensor& x);

  jstip::nn::LoraLinear gate{nullptr};  // null for a plain MLP
  jstip::nn::LoraLinear up{nullptr}, down{nullptr};

 private:
  std::string activation_;
};
TORCH_MODULE(Mlp);

}  // namespace jstip::decoder
