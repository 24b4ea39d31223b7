#include "layers/attention.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace jstip::layers {

torch::Tensor attention_probs(const torch::Tensor& scores, const torch::Tensor& allowed, double dropout, bool training,
                              torch::ScalarType dtype) {
  // Softmax in float32 even for half inputs; a finite fill avoids NaN on fully masked rows.
  const auto blocked = allowed.logical_not();
  auto logits = scores.to(torch::kFloat32).masked_fill(blocked, std::numeric_limits<float>::lowest());
  auto probs = torch::softmax(logits, -1).masked_fill(blocked, 0.0).to(dtype);
  if (dropout > 0) probs = torch::dropout(probs, dropout, training);
  return probs;
}

torch::Tensor attend(const torch::Tensor& scores, const torch::Tensor& values, const torch::Tensor& allowed,
                     double dropout, bool training) {
  return torch::matmul(attention_probs(scores, allowed, dropout, training, values.scalar_type()), values);
}

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t d_model, int64_t num_heads, double dropout, int64_t kv_dim)
    : num_heads_(num_heads), head_dim_(num_heads > 0 ? d_model / num_heads : 0), dropout_(dropout) {
  if (num_heads <= 0 || d_model % num_heads != 0)
    throw std::invalid_argument("attention: d_model " + std::to_string(d_model) + " is not divisible by num_heads " +
                                std::to_string(num_heads));
  if (kv_dim <= 0) kv_dim = d_model;
  q_proj = register_module("q_proj", jstip::nn::LoraLinear(d_model, d_model));
  k_proj = register_module("k_proj", jstip::nn::LoraLinear(kv_dim, d_model));
  v_proj = register_module("v_proj", jstip::nn::LoraLinear(kv_dim, d_model));
  out_proj = register_module("out_proj", jstip::nn::LoraLinear(d_model, d_model));
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), num_heads_, head_dim_}).transpose(1, 2);
}

torch::Tensor MultiHeadAttentionImpl::merge_heads(const torch::Tensor& x) const {
  return x.transpose(1, 2).reshape({x.size(0), x.size(2), num_heads_ * head_dim_});
}

torch::Tensor MultiHeadAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& memory,
                                              const torch::Tensor& key_valid) {
  auto q = split_heads(q_proj(query));
  auto k = split_heads(k_proj(memory));
  auto v = split_heads(v_proj(memory));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_dim_));
  auto allowed = key_valid.unsqueeze(1).unsqueeze(2);  // [B, 1, 1, Tk]
  return out_proj(merge_heads(attend(scores, v, allowed, dropout_, is_training())));
}

}  // namespace jstip::layers
