// GPT-2 blocks named as in Hugging Face transformers (ln_1, attn.c_attn,
// attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj). Weights are stored [out, in]
// here; HF's Conv1D keeps them [in, out], so import/export transposes them.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "jstip/llm.h"
#include "jstip/nn/lora_linear.h"

namespace jstip::gpt2 {

struct Gpt2Config {
  int64_t vocab_size = 50257;
  int64_t hidden_size = 768;       // n_embd
  int64_t num_layers = 12;         // n_layer
  int64_t num_heads = 12;          // n_head
  int64_t max_positions = 1024;    // n_positions
  int64_t intermediate_size = 0;   // n_inner; 0 = 4 * hidden_size
  double layer_norm_eps = 1e-5;
  bool tie_word_embeddings = true;

  int64_t inner() const { return intermediate_size > 0 ? intermediate_size : 4 * hidden_size; }
  void validate() const;
};

class Gpt2AttentionImpl : public torch::nn::Module {
 public:
  explicit Gpt2AttentionImpl(const Gpt2Config& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed, KVCache* cache, size_t layer,
                        size_t num_layers);
  jstip::nn::LoraLinear c_attn{nullptr}, c_proj{nullptr};

 private:
  int64_t num_heads_, head_dim_;
};
TORCH_MODULE(Gpt2Attention);

class Gpt2MlpImpl : public torch::nn::Module {
 public:
  explicit Gpt2MlpImpl(const Gpt2Config& config);
  torch::Tensor forward(const torch::Tensor& x);  // c_proj(gelu_tanh(c_fc(x)))
  jstip::nn::LoraLinear c_fc{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(Gpt2Mlp);

class Gpt2BlockImpl : public torch::nn::Module {
 public:
  explicit Gpt2BlockImpl(const Gpt2Config& config);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& allowed, KVCache* cache, size_t layer,
                        size_t num_layers);
  torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
  Gpt2Attention attn{nullptr};
  Gpt2Mlp mlp{nullptr};
};
TORCH_MODULE(Gpt2Block);

}  // namespace jstip::gpt2
