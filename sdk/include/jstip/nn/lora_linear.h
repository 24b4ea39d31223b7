// A Linear layer that can grow LoRA adapters, used for every Linear of the
// model plugins. The host finds them by walking named_modules() and
// dynamic_cast<LoraLinearImpl*>, so LoRA can target any Linear by name.
//
// Parameters keep Hugging Face names and layout: weight [out, in], bias [out],
// and when LoRA is on, lora_A [rank, in] and lora_B [out, rank]:
//   y = x W^T + b + (alpha / rank) * dropout(x) A^T B^T
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "jstip/export.h"

namespace jstip::nn {

// input W^T (+ bias) for input [..., in], weight [out, in]; what every Linear of
// the plugins computes. A single row on the CPU in float32 (token-by-token
// decoding at batch 1) goes through a matrix-vector product: BLAS gemm with one
// row still packs the whole weight on every call, which made OpenBLAS ~6x
// slower than gemv at the reference LLM's sizes (docs/performance.md).
JSTIP_API torch::Tensor linear(const torch::Tensor& input, const torch::Tensor& weight,
                               const torch::Tensor& bias = {});

class JSTIP_API LoraLinearImpl : public torch::nn::Module {
 public:
  LoraLinearImpl(int64_t in_features, int64_t out_features, bool bias = true);
  ~LoraLinearImpl() override;

  torch::Tensor forward(const torch::Tensor& input);

  // Adds adapters (A random, B zero, so outputs are unchanged at first) and
  // freezes weight and bias. Calling it again replaces the adapters.
  void enable_lora(int64_t rank, double alpha, double dropout = 0.0);
  // Folds the adapters into weight and removes them.
  void merge_lora();
  bool lora_enabled() const { return lora_a.defined(); }
  int64_t lora_rank() const { return lora_rank_; }
  double lora_scale() const { return lora_scale_; }
  // weight + scale * B A (the weight an export should hold); weight when LoRA is off.
  torch::Tensor merged_weight() const;

  void reset_parameters();  // Kaiming-uniform weight, like torch::nn::Linear

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }

  torch::Tensor weight;
  torch::Tensor bias;    // undefined when built without bias
  torch::Tensor lora_a;  // "lora_A"
  torch::Tensor lora_b;  // "lora_B"

 private:
  int64_t in_features_;
  int64_t out_features_;
  int64_t lora_rank_ = 0;
  double lora_scale_ = 0.0;
  double lora_dropout_ = 0.0;
};

TORCH_MODULE(LoraLinear);

}  // namespace jstip::nn
