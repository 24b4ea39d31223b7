// Llama building blocks (RMSNorm, rotary embeddings, grouped-query attention
// with optional QKV bias as in Qwen2, SwiGLU MLP), named as in Hugging Face
// transformers so parameter names are HF names.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "jstip/llm.h"
#include "jstip/nn/lora_linear.h"

namespace jstip::llama {

struct LlamaConfig {
  std::string model_type = "llama";  // "llama" or "qwen2" (written to config.json)
  int64_t vocab_size = 32000;
  int64_t hidden_size = 512;
  int64_t intermediate_size = 1408;
  int64_t num_layers = 8;
  int64_t num_heads = 8;
  int64_t num_kv_heads = 8;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  int64_t max_position_embeddings = 4096;
  // HF rope_scaling: "default" (none), "linear" or "llama3" (Llama 3.1/3.2).
  std::string rope_type = "default";
  double rope_factor = 1.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 4.0;
  int64_t rope_original_max_positions = 8192;

  int64_t head_dim() const { return hidden_size / num_heads; }
  void validate() const;  // throws std::invalid_argument naming the option
};

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  void set_eps(double eps) { eps_ = eps; }
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RMSNorm);

// Rotary inverse frequencies [head_dim / 2], with the config's rope scaling applied.
torch::Tensor rotary_inverse_frequencies(const LlamaConfig& config, const torch::TensorOptions& options);
// cos and signed sin tables [B, 1, T, head_dim] for position ids [B, T] (HF's non-interleaved
// layout; the sin table's first half negated, which apply_rotary expects).
std::pair<torch::Tensor, torch::Tensor> rotary_tables(const torch::Tensor& positions, const torch::Tensor& inv_freq,
                                                      torch::Dtype dtype);
torch::Tensor apply_rotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& signed_sin);

class LlamaAttentionImpl : public torch::nn::Module {
 public:
  explicit LlamaAttentionImpl(const LlamaConfig& config);
  // x [B, T, H]; allowed [B, 1, T, Tk]; cache may be null.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& allowed, KVCache* cache, size_t layer, size_t num_layers);

  jstip::nn::LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};

 private:
  int64_t num_heads_, num_kv_heads_, head_dim_;
};
TORCH_MODULE(LlamaAttention);

class LlamaMlpImpl : public torch::nn::Module {
 public:
  explicit LlamaMlpImpl(const LlamaConfig& config);
  torch::Tensor forward(const torch::Tensor& x);  // down(silu(gate(x)) * up(x))
  jstip::nn::LoraLinear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMlp);

class LlamaDecoderLayerImpl : public torch::nn::Module {
 public:
  explicit LlamaDecoderLayerImpl(const LlamaConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& allowed, KVCache* cache, size_t layer, size_t num_layers);

  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
  RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(LlamaDecoderLayer);

}  // namespace jstip::llama
