#include "decoder/attention.h"

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "decoder/inputs.h"
#include "layers/attention.h"

namespace jstip::decoder {

SelfAttentionImpl::SelfAttentionImpl(const DecoderConfig& c)
    : num_heads_(c.num_heads), num_kv_heads_(c.num_kv_heads), head_dim_(c.head_dim()), num_layers_(c.num_layers) {
  const ModuleNames& n = c.names;
  const int64_t q_size = num_heads_ * head_dim_, kv_size = num_kv_heads_ * head_dim_;
  if (std::string(n.qkv).empty()) {
    q_proj = register_module(n.q, jstip::nn::LoraLinear(c.hidden_size, q_size, c.qkv_bias));
    k_proj = register_module(n.k, jstip::nn::LoraLinear(c.hidden_size, kv_size, c.qkv_bias));
    v_proj = register_module(n.v, jstip::nn::LoraLinear(c.hidden_size, kv_size, c.qkv_bias));
  } else {
    qkv = register_module(n.qkv, jstip::nn::LoraLinear(c.hidden_size, q_size + 2 * kv_size, c.qkv_bias));
  }
  out_proj = register_module(n.out, jstip::nn::LoraLinear(q_size, c.hidden_size, c.out_bias));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const RotaryTables* rope, const torch::Tensor& allowed,
                                         KVCache* cache, size_t layer) {
  const int64_t batch = x.size(0), length = x.size(1);
  auto heads = [&](const torch::Tensor& t, int64_t n) { return t.view({batch, length, n, head_dim_}).transpose(1, 2); };
  torch::Tensor q, k, v;
  if (qkv) {
    // Views of the fused output: [q | k | v] along the last axis.
    auto fused = qkv(x);
    const int64_t q_size = num_heads_ * head_dim_, kv_size = num_kv_heads_ * head_dim_;
    q = heads(fused.narrow(-1, 0, q_size), num_heads_);
    k = heads(fused.narrow(-1, q_size, kv_size), num_kv_heads_);
    v = heads(fused.narrow(-1, q_size + kv_size, kv_size), num_kv_heads_);
  } else {
    q = heads(q_proj(x), num_heads_);
    k = heads(k_proj(x), num_kv_heads_);
    v = heads(v_proj(x), num_kv_heads_);
  }
  if (rope) {
    q = apply_rotary(q, *rope);
    k = apply_rotary(k, *rope);
  }
  // The cache holds kv_heads (not repeated) keys, after rotation.
  auto [keys, values] = append_to_cache(cache, layer, num_layers_, k, v);
  // Grouped-query attention without copying keys and values once per query head:
  // the `groups` query heads of a kv head are stacked along the query axis
  // (head h reads kv head h / groups, as repeat_interleave would give it). With
  // one group (plain multi-head attention) the reshapes are views.
  const int64_t groups = num_heads_ / num_kv_heads_, keys_length = keys.size(2);
  auto grouped_q = q.reshape({batch, num_kv_heads_, groups * length, head_dim_});
  auto scores = torch::matmul(grouped_q, keys.transpose(-2, -1)).view({batch, num_heads_, length, keys_length}) /
                std::sqrt(static_cast<double>(head_dim_));
  auto probs = layers::attention_probs(scores, allowed, 0.0, is_training(), values.scalar_type());
  auto out = torch::matmul(probs.view({batch, num_kv_heads_, groups * length, keys_length}), values)
                 .view({batch, num_heads_, length, head_dim_});
  return out_proj(out.transpose(1, 2).reshape({batch, length, num_heads_ * head_dim_}));
}

}  // namespace jstip::decoder
