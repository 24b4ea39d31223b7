#include "llama_layers.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "layers/attention.h"
#include "layers/decoder.h"

namespace jstip::llama {

void LlamaConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("llama: " + what);
  };
  require(vocab_size > 0, "vocab_size must be positive");
  require(hidden_size > 0 && num_heads > 0 && hidden_size % num_heads == 0,
          "hidden_size " + std::to_string(hidden_size) + " must be divisible by num_heads " + std::to_string(num_heads));
  require(head_dim() % 2 == 0, "head dimension (hidden_size / num_heads) must be even for rotary embeddings");
  require(num_kv_heads > 0 && num_heads % num_kv_heads == 0,
          "num_heads " + std::to_string(num_heads) + " must be a multiple of num_key_value_heads " +
              std::to_string(num_kv_heads));
  require(intermediate_size > 0, "intermediate_size must be positive");
  require(num_layers >= 0, "num_layers must not be negative");
  require(rope_theta > 0, "rope_theta must be positive");
  require(rope_type == "default" || rope_type == "linear" || rope_type == "llama3",
          "rope_scaling type '" + rope_type + "' is not supported (linear, llama3)");
  require(rope_factor > 0, "rope_scaling factor must be positive");
  require(rope_type != "llama3" || rope_high_freq_factor > rope_low_freq_factor,
          "rope_scaling high_freq_factor must exceed low_freq_factor");
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  auto x32 = x.to(torch::kFloat32);
  auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + eps_);
  return weight * normed.to(x.scalar_type());
}

torch::Tensor rotary_inverse_frequencies(const LlamaConfig& c, const torch::TensorOptions& options) {
  int64_t head_dim = c.head_dim();
  auto exponents = torch::arange(0, head_dim, 2, options.dtype(torch::kFloat64)) / static_cast<double>(head_dim);
  auto inv_freq = torch::pow(c.rope_theta, exponents).reciprocal();  // [D/2], float64 until the end
  if (c.rope_type == "linear") inv_freq = inv_freq / c.rope_factor;
  if (c.rope_type == "llama3") {
    // Long wavelengths are slowed by `factor`, short ones kept, the band between interpolated.
    double old_context = static_cast<double>(c.rope_original_max_positions);
    double low_freq_wavelen = old_context / c.rope_low_freq_factor;
    double high_freq_wavelen = old_context / c.rope_high_freq_factor;
    auto wavelen = 2 * M_PI / inv_freq;
    auto smooth = (old_context / wavelen - c.rope_low_freq_factor) / (c.rope_high_freq_factor - c.rope_low_freq_factor);
    auto interpolated = (1 - smooth) * inv_freq / c.rope_factor + smooth * inv_freq;
    inv_freq = torch::where(wavelen > low_freq_wavelen, inv_freq / c.rope_factor,
                            torch::where(wavelen < high_freq_wavelen, inv_freq, interpolated));
  }
  return inv_freq.to(torch::kFloat32);
}

std::pair<torch::Tensor, torch::Tensor> rotary_tables(const torch::Tensor& positions, const torch::Tensor& inv_freq,
                                                      torch::Dtype dtype) {
  auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq;         // [B, T, D/2]
  auto sin = freqs.sin();
  auto angles = torch::cat({freqs, freqs}, -1).unsqueeze(1);                   // [B, 1, T, D]
  return {angles.cos().to(dtype), torch::cat({-sin, sin}, -1).unsqueeze(1).to(dtype)};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& signed_sin) {
  // HF's x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1]: the sign lives in
  // the table, so the rotation is a roll (3 kernels instead of 5, once per q and k per layer).
  return torch::addcmul(x * cos, x.roll(x.size(-1) / 2, -1), signed_sin);
}

LlamaAttentionImpl::LlamaAttentionImpl(const LlamaConfig& c)
    : num_heads_(c.num_heads), num_kv_heads_(c.num_kv_heads), head_dim_(c.head_dim()) {
  q_proj = register_module("q_proj", jstip::nn::LoraLinear(c.hidden_size, c.num_heads * head_dim_, c.attention_bias));
  k_proj = register_module("k_proj", jstip::nn::LoraLinear(c.hidden_size, c.num_kv_heads * head_dim_, c.attention_bias));
  v_proj = register_module("v_proj", jstip::nn::LoraLinear(c.hidden_size, c.num_kv_heads * head_dim_, c.attention_bias));
  o_proj = register_module("o_proj", jstip::nn::LoraLinear(c.num_heads * head_dim_, c.hidden_size, false));
}

torch::Tensor LlamaAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                          const torch::Tensor& allowed, KVCache* cache, size_t layer,
                                          size_t num_layers) {
  int64_t batch = x.size(0), length = x.size(1);
  auto heads = [&](const torch::Tensor& t, int64_t n) { return t.view({batch, length, n, head_dim_}).transpose(1, 2); };
  auto q = apply_rotary(heads(q_proj(x), num_heads_), cos, sin);
  auto k = apply_rotary(heads(k_proj(x), num_kv_heads_), cos, sin);
  auto v = heads(v_proj(x), num_kv_heads_);
  // The cache holds kv_heads (not repeated) keys, after rotation.
  auto [keys, values] = layers::append_to_cache(cache, layer, num_layers, k, v);
  // Grouped-query attention without copying keys and values once per query head:
  // the `groups` query heads of a kv head are stacked along the query axis
  // (head h reads kv head h / groups, as repeat_interleave would give it).
  const int64_t groups = num_heads_ / num_kv_heads_, keys_length = keys.size(2);
  auto grouped_q = q.reshape({batch, num_kv_heads_, groups * length, head_dim_});
  auto scores = torch::matmul(grouped_q, keys.transpose(-2, -1))
                    .view({batch, num_heads_, length, keys_length}) / std::sqrt(static_cast<double>(head_dim_));
  auto probs = layers::attention_probs(scores, allowed, 0.0, is_training(), values.scalar_type());
  auto out = torch::matmul(probs.view({batch, num_kv_heads_, groups * length, keys_length}), values)
                 .view({batch, num_heads_, length, head_dim_});
  return o_proj(out.transpose(1, 2).reshape({batch, length, num_heads_ * head_dim_}));
}

LlamaMlpImpl::LlamaMlpImpl(const LlamaConfig& c) {
  gate_proj = register_module("gate_proj", jstip::nn::LoraLinear(c.hidden_size, c.intermediate_size, false));
  up_proj = register_module("up_proj", jstip::nn::LoraLinear(c.hidden_size, c.intermediate_size, false));
  down_proj = register_module("down_proj", jstip::nn::LoraLinear(c.intermediate_size, c.hidden_size, false));
}

torch::Tensor LlamaMlpImpl::forward(const torch::Tensor& x) {
  return down_proj(torch::silu(gate_proj(x)) * up_proj(x));
}

LlamaDecoderLayerImpl::LlamaDecoderLayerImpl(const LlamaConfig& c) {
  self_attn = register_module("self_attn", LlamaAttention(c));
  mlp = register_module("mlp", LlamaMlp(c));
  input_layernorm = register_module("input_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps));
  post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hidden_size, c.rms_norm_eps));
}

torch::Tensor LlamaDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                             const torch::Tensor& allowed, KVCache* cache, size_t layer,
                                             size_t num_layers) {
  auto h = x + self_attn(input_layernorm(x), cos, sin, allowed, cache, layer, num_layers);
  return h + mlp(post_attention_layernorm(h));
}

}  // namespace jstip::llama
