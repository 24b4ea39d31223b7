#include "conformer_layers.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

#include "layers/masks.h"

namespace jstip::conformer {
namespace {
torch::nn::LayerNorm layer_norm(int64_t d) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})); }
}  // namespace

torch::Tensor relative_positions(int64_t length, int64_t dim, const torch::TensorOptions& options) {
  auto distances = torch::arange(length - 1, -length, -1, options.dtype(torch::kFloat32));
  return layers::sinusoidal_encoding(distances, dim).to(options.dtype());
}

RelPositionAttentionImpl::RelPositionAttentionImpl(int64_t d_model, int64_t num_heads, double dropout)
    : layers::MultiHeadAttentionImpl(d_model, num_heads, dropout) {
  linear_pos = register_module("linear_pos", jstip::nn::LoraLinear(d_model, d_model, false));
  pos_bias_u = register_parameter("pos_bias_u", torch::empty({num_heads, head_dim()}));
  pos_bias_v = register_parameter("pos_bias_v", torch::empty({num_heads, head_dim()}));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(pos_bias_u);
  torch::nn::init::xavier_uniform_(pos_bias_v);
}

torch::Tensor RelPositionAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& pos,
                                                const torch::Tensor& valid) {
  int64_t batch = x.size(0), length = x.size(1);
  auto q = split_heads(q_proj(x));  // [B, H, T, Dh]
  auto k = split_heads(k_proj(x));
  auto v = split_heads(v_proj(x));
  auto p = linear_pos(pos).view({2 * length - 1, num_heads(), head_dim()}).permute({1, 0, 2});  // [H, 2T-1, Dh]
  // Content term (q + u) k^T and position term (q + v) p^T (Dai et al. 2019).
  auto content = torch::matmul(q + pos_bias_u.unsqueeze(1), k.transpose(-2, -1));          // [B, H, T, T]
  auto position = torch::matmul(q + pos_bias_v.unsqueeze(1), p.transpose(-2, -1).unsqueeze(0));  // [B, H, T, 2T-1]
  // Entry (i, j) needs distance i - j, stored at index (T - 1) - (i - j).
  auto steps = torch::arange(length, x.options().dtype(torch::kInt64));
  auto index = (length - 1) - steps.unsqueeze(1) + steps.unsqueeze(0);  // [T, T]
  position = position.gather(-1, index.expand({batch, num_heads(), length, length}));
  auto scores = (content + position) / std::sqrt(static_cast<double>(head_dim()));
  auto allowed = valid.unsqueeze(1).unsqueeze(2);
  return out_proj(merge_heads(layers::attend(scores, v, allowed, dropout(), is_training())));
}

ConvolutionModuleImpl::ConvolutionModuleImpl(int64_t d_model, int64_t kernel_size) {
  if (kernel_size <= 0 || kernel_size % 2 == 0)
    throw std::invalid_argument("conformer: conv_kernel must be odd and positive, got " + std::to_string(kernel_size));
  pointwise_conv1 = register_module("pointwise_conv1", jstip::nn::LoraLinear(d_model, 2 * d_model));
  depthwise_conv = register_module(
      "depthwise_conv",
      torch::nn::Conv1d(torch::nn::Conv1dOptions(d_model, d_model, kernel_size).padding(kernel_size / 2).groups(d_model)));
  norm = register_module("norm", layer_norm(d_model));
  pointwise_conv2 = register_module("pointwise_conv2", jstip::nn::LoraLinear(d_model, d_model));
}

torch::Tensor ConvolutionModuleImpl::forward(const torch::Tensor& x, const torch::Tensor& valid) {
  auto h = torch::glu(pointwise_conv1(x), -1);
  // Zeroed padding makes a valid frame near the end see exactly the zeros it
  // would see from the convolution's own padding when unbatched.
  h = layers::zero_padding(h, valid);
  h = depthwise_conv(h.transpose(1, 2)).transpose(1, 2);
  h = torch::silu(norm(h));
  return pointwise_conv2(h);
}

ConformerLayerImpl::ConformerLayerImpl(int64_t d, int64_t num_heads, int64_t ffn_dim, int64_t kernel_size,
                                       double dropout)
    : dropout_(dropout) {
  feed_forward_macaron = register_module("feed_forward_macaron", layers::FeedForward(d, ffn_dim, "swish", dropout));
  self_attn = register_module("self_attn", RelPositionAttention(d, num_heads, dropout));
  conv_module = register_module("conv_module", ConvolutionModule(d, kernel_size));
  feed_forward = register_module("feed_forward", layers::FeedForward(d, ffn_dim, "swish", dropout));
  norm_ff_macaron = register_module("norm_ff_macaron", layer_norm(d));
  norm_mha = register_module("norm_mha", layer_norm(d));
  norm_conv = register_module("norm_conv", layer_norm(d));
  norm_ff = register_module("norm_ff", layer_norm(d));
  norm_final = register_module("norm_final", layer_norm(d));
}

torch::Tensor ConformerLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& pos, const torch::Tensor& valid) {
  auto drop = [&](const torch::Tensor& t) { return torch::dropout(t, dropout_, is_training()); };
  auto h = x + 0.5 * drop(feed_forward_macaron(norm_ff_macaron(x)));
  h = h + drop(self_attn(norm_mha(h), pos, valid));
  h = h + drop(conv_module(norm_conv(h), valid));
  h = h + 0.5 * drop(feed_forward(norm_ff(h)));
  return layers::zero_padding(norm_final(h), valid);
}

}  // namespace jstip::conformer
