// Multi-head attention with key padding masks, on LoraLinear projections
// (names q_proj, k_proj, v_proj, out_proj) so LoRA can target them.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "jstip/nn/lora_linear.h"

namespace jstip::layers {

// softmax(scores masked by `allowed`), in the values' dtype. `allowed` broadcasts to
// scores' shape [B, H, Tq, Tk]; rows with no allowed key give zeros (not NaN).
torch::Tensor attention_probs(const torch::Tensor& scores, const torch::Tensor& allowed, double dropout, bool training,
                              torch::ScalarType dtype);

// attention_probs(scores, allowed) @ values.
torch::Tensor attend(const torch::Tensor& scores, const torch::Tensor& values, const torch::Tensor& allowed,
                     double dropout, bool training);

class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  MultiHeadAttentionImpl(int64_t d_model, int64_t num_heads, double dropout, int64_t kv_dim = 0);

  // query [B, Tq, D]; memory [B, Tk, kv_dim]; key_valid [B, Tk] bool.
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& memory, const torch::Tensor& key_valid);

  // [B, T, D] -> [B, H, T, D/H]
  torch::Tensor split_heads(const torch::Tensor& x) const;
  torch::Tensor merge_heads(const torch::Tensor& x) const;  // the inverse

  int64_t num_heads() const { return num_heads_; }
  int64_t head_dim() const { return head_dim_; }
  double dropout() const { return dropout_; }

  jstip::nn::LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t num_heads_;
  int64_t head_dim_;
  double dropout_;
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace jstip::layers
