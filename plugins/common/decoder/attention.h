// Causal self-attention of a decoder layer, on LoraLinear projections (so
// LoRA can target them by the family's names): optional rotary positions,
// optional q/k/v bias, fused or separate q/k/v, grouped-query heads, and the
// KV cache.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "decoder/config.h"
#include "decoder/rotary.h"
#include "jstip/llm.h"
#include "jstip/nn/lora_linear.h"

namespace jstip::decoder {

class SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit SelfAttentionImpl(const DecoderConfig& config);

  // x [B, T, hidden]; rope null without rotary positions; allowed [B, 1, T, T_past + T];
  // cache (may be null) holds the keys/values of every layer, this is layer `layer`.
  torch::Tensor forward(const torch::Tensor& x, const RotaryTables* rope, const torch::Tensor& allowed, KVCache* cache,
                        size_t layer);

  // Either `qkv` (fused, rows [q; k; v]) or q_proj, k_proj, v_proj is set.
  jstip::nn::LoraLinear qkv{nullptr}, q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t num_heads_, num_kv_heads_, head_dim_;
  size_t num_layers_;
};
TORCH_MODULE(SelfAttention);

}  // namespace jstip::decoder
