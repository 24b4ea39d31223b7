// The `transformer` encoder plugin: conv2d subsampling x4, sinusoidal
// absolute positions, pre-norm Transformer layers, optional CTC head.
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "jstip/config.h"
#include "jstip/encoder.h"
#include "jstip/options.h"
#include "layers/attention.h"
#include "layers/conv_subsampling.h"
#include "layers/feed_forward.h"

namespace jstip::transformer {

inline constexpr jstip_option_desc kTransformerOptions[] = {
    {"input_dim", JSTIP_OPT_INT, "80", "feature bins per frame"},
    {"d_model", JSTIP_OPT_INT, "256", "model width (output_dim)"},
    {"num_layers", JSTIP_OPT_INT, "6", "encoder layers"},
    {"num_heads", JSTIP_OPT_INT, "4", "attention heads"},
    {"ffn_dim", JSTIP_OPT_INT, "1024", "feed-forward inner width"},
    {"dropout", JSTIP_OPT_FLOAT, "0.1", "dropout on attention weights and residual branches"},
    {"subsampling_channels", JSTIP_OPT_INT, "0",
     "channels of the conv2d subsampling front end (0 = d_model); fewer make it several times cheaper"},
    {"ctc_vocab", JSTIP_OPT_INT, "0", "size of the CTC head's output (blank included); 0 = no CTC head"},
    {"pretrained", JSTIP_OPT_STRING, "\"\"", "safetensors file or directory with this encoder's weights"},
};

class TransformerLayerImpl : public torch::nn::Module {
 public:
  TransformerLayerImpl(int64_t d_model, int64_t num_heads, int64_t ffn_dim, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);  // valid [B, T]

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr};
  layers::MultiHeadAttention self_attn{nullptr};
  layers::FeedForward feed_forward{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(TransformerLayer);

class TransformerEncoder : public SpeechEncoder {
 public:
  explicit TransformerEncoder(const Config& options);

  EncoderOutput encode(const torch::Tensor& feats, const torch::Tensor& lengths) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t output_dim() const override { return d_model_; }
  int64_t downsampling() const override { return 4; }

  layers::Conv2dSubsampling4 embed{nullptr};
  torch::nn::ModuleList layer_stack{nullptr};  // registered as "layers"
  torch::nn::LayerNorm after_norm{nullptr};
  jstip::nn::LoraLinear ctc_head{nullptr};  // null without a CTC head

 private:
  int64_t input_dim_, d_model_;
  double dropout_;
  std::vector<TransformerLayer> layer_list_;
};

}  // namespace jstip::transformer
