// The `conformer` encoder plugin: conv2d subsampling x4, Conformer layers
// with relative-position self-attention, optional CTC head.
#pragma once

#include <torch/nn/modules/container/modulelist.h>

#include "conformer_layers.h"
#include "jstip/config.h"
#include "jstip/encoder.h"
#include "jstip/options.h"
#include "layers/conv_subsampling.h"

namespace jstip::conformer {

inline constexpr jstip_option_desc kConformerOptions[] = {
    {"input_dim", JSTIP_OPT_INT, "80", "feature bins per frame"},
    {"d_model", JSTIP_OPT_INT, "256", "model width (output_dim)"},
    {"num_layers", JSTIP_OPT_INT, "12", "Conformer layers"},
    {"num_heads", JSTIP_OPT_INT, "4", "attention heads"},
    {"ffn_dim", JSTIP_OPT_INT, "1024", "feed-forward inner width"},
    {"conv_kernel", JSTIP_OPT_INT, "15", "depthwise convolution kernel (odd)"},
    {"dropout", JSTIP_OPT_FLOAT, "0.1", "dropout on attention weights and residual branches"},
    {"subsampling_channels", JSTIP_OPT_INT, "0",
     "channels of the conv2d subsampling front end (0 = d_model); fewer make it several times cheaper"},
    {"ctc_vocab", JSTIP_OPT_INT, "0", "size of the CTC head's output (blank included); 0 = no CTC head"},
    {"pretrained", JSTIP_OPT_STRING, "\"\"", "safetensors file or directory with this encoder's weights"},
};

class ConformerEncoder : public SpeechEncoder {
 public:
  explicit ConformerEncoder(const Config& options);

  EncoderOutput encode(const torch::Tensor& feats, const torch::Tensor& lengths) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t output_dim() const override { return d_model_; }
  int64_t downsampling() const override { return 4; }

  layers::Conv2dSubsampling4 embed{nullptr};
  torch::nn::ModuleList layer_stack{nullptr};  // registered as "layers"
  jstip::nn::LoraLinear ctc_head{nullptr};      // null without a CTC head

 private:
  int64_t input_dim_, d_model_;
  double dropout_;
  std::vector<ConformerLayer> layer_list_;
};

}  // namespace jstip::conformer
