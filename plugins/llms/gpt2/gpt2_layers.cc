#include "gpt2_layers.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "layers/attention.h"
#include "layers/decoder.h"

namespace jstip::gpt2 {
namespace {
torch::nn::LayerNorm layer_norm(int64_t d, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(eps));
}
}  // namespace

void Gpt2Config::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("gpt2: " + what);
  };
  require(vocab_size > 0, "vocab_size must be positive");
  require(hidden_size > 0 && num_heads > 0 && hidden_size % num_heads == 0,
          "hidden_size " + std::to_string(hidden_size) + " must be divisible by num_heads " + std::to_string(num_heads));
  require(max_positions > 0, "max_position_embeddings must be positive");
  require(num_layers >= 0, "num_layers must not be negative");
}

Gpt2AttentionImpl::Gpt2AttentionImpl(const Gpt2Config& c)
    : num_heads_(c.num_heads), head_dim_(c.hidden_size / c.num_heads) {
  c_attn = register_module("c_attn", jstip::nn::LoraLinear(c.hidden_size, 3 * c.hidden_size));
  c_proj = register_module("c_proj", jstip::nn::LoraLinear(c.hidden_size, c.hidden_size));
}

torch::Tensor Gpt2AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed, KVCache* cache,
                                         size_t layer, size_t num_layers) {
  int64_t batch = x.size(0), length = x.size(1);
  auto qkv = c_attn(x).view({batch, length, 3, num_heads_, head_dim_}).permute({2, 0, 3, 1, 4});  // [3, B, H, T, D]
  auto [keys, values] = layers::append_to_cache(cache, layer, num_layers, qkv[1], qkv[2]);
  auto scores = torch::matmul(qkv[0], keys.transpose(-2, -1)) / std::sqrt(static_cast<double>(head_dim_));
  auto out = layers::attend(scores, values, allowed, 0.0, is_training());
  return c_proj(out.transpose(1, 2).reshape({batch, length, num_heads_ * head_dim_}));
}

Gpt2MlpImpl::Gpt2MlpImpl(const Gpt2Config& c) {
  c_fc = register_module("c_fc", jstip::nn::LoraLinear(c.hidden_size, c.inner()));
  c_proj = register_module("c_proj", jstip::nn::LoraLinear(c.inner(), c.hidden_size));
}

torch::Tensor Gpt2MlpImpl::forward(const torch::Tensor& x) { return c_proj(torch::gelu(c_fc(x), "tanh")); }

Gpt2BlockImpl::Gpt2BlockImpl(const Gpt2Config& c) {
  ln_1 = register_module("ln_1", layer_norm(c.hidden_size, c.layer_norm_eps));
  attn = register_module("attn", Gpt2Attention(c));
  ln_2 = register_module("ln_2", layer_norm(c.hidden_size, c.layer_norm_eps));
  mlp = register_module("mlp", Gpt2Mlp(c));
}

torch::Tensor Gpt2BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& allowed, KVCache* cache,
                                     size_t layer, size_t num_layers) {
  auto h = x + attn(ln_1(x), allowed, cache, layer, num_layers);
  return h + mlp(ln_2(h));
}

}  // namespace jstip::gpt2
