// The two norms of the decoder families: RMSNorm (weight only, computed in
// float32 as Hugging Face's LlamaRMSNorm) and LayerNorm (weight and bias).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "decoder/config.h"

namespace jstip::decoder {

class NormImpl : public torch::nn::Module {
 public:
  NormImpl(NormKind kind, int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  void set_eps(double eps) { eps_ = eps; }

  torch::Tensor weight;  // ones at first
  torch::Tensor bias;    // LayerNorm only (zeros at first); undefined for RMSNorm

 private:
  NormKind kind_;
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(Norm);

}  // namespace jstip::decoder
