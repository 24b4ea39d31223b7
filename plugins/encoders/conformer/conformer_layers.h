// Conformer blocks (Gulati et al. 2020): relative-position self-attention
// (Transformer-XL style, as in ESPnet/WeNet), the convolution module and the
// macaron block FFN/2 -> MHSA -> Conv -> FFN/2 -> LayerNorm.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "jstip/nn/lora_linear.h"
#include "layers/attention.h"
#include "layers/feed_forward.h"

namespace jstip::conformer {

// [2T - 1, D] encodings of relative distances T-1, T-2, ..., -(T-1).
torch::Tensor relative_positions(int64_t length, int64_t dim, const torch::TensorOptions& options);

class RelPositionAttentionImpl : public layers::MultiHeadAttentionImpl {
 public:
  RelPositionAttentionImpl(int64_t d_model, int64_t num_heads, double dropout);
  // x [B, T, D]; pos [2T - 1, D] from relative_positions(); valid [B, T].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos, const torch::Tensor& valid);

  jstip::nn::LoraLinear linear_pos{nullptr};
  torch::Tensor pos_bias_u, pos_bias_v;  // [H, D/H]
};
TORCH_MODULE(RelPositionAttention);

// LayerNorm is used after the depthwise convolution instead of BatchNorm:
// batch statistics would make an utterance's output depend on its batch.
class ConvolutionModuleImpl : public torch::nn::Module {
 public:
  ConvolutionModuleImpl(int64_t d_model, int64_t kernel_size);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);  // x [B, T, D]

  jstip::nn::LoraLinear pointwise_conv1{nullptr}, pointwise_conv2{nullptr};
  torch::nn::Conv1d depthwise_conv{nullptr};
  torch::nn::LayerNorm norm{nullptr};
};
TORCH_MODULE(ConvolutionModule);

class ConformerLayerImpl : public torch::nn::Module {
 public:
  ConformerLayerImpl(int64_t d_model, int64_t num_heads, int64_t ffn_dim, int64_t kernel_size, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos, const torch::Tensor& valid);

  layers::FeedForward feed_forward_macaron{nullptr}, feed_forward{nullptr};
  RelPositionAttention self_attn{nullptr};
  ConvolutionModule conv_module{nullptr};
  torch::nn::LayerNorm norm_ff_macaron{nullptr}, norm_mha{nullptr}, norm_conv{nullptr}, norm_ff{nullptr},
      norm_final{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(ConformerLayer);

}  // namespace jstip::conformer
