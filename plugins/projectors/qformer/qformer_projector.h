// The `qformer` projector: a fixed number of learned queries read the
// encoder output through cross-attention (BLIP-2 / SALMONN style) and are
// mapped into the LLM's space. Its output frames do not map to time, so
// downsampling() is 0 (word-level interleaving refuses it).
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/normalization.h>

#include "jstip/config.h"
#include "jstip/nn/lora_linear.h"
#include "jstip/options.h"
#include "jstip/projector.h"
#include "layers/attention.h"
#include "layers/feed_forward.h"

namespace jstip::qformer {

inline constexpr jstip_option_desc kQformerOptions[] = {
    {"input_dim", JSTIP_OPT_INT, "0", "encoder output width; 0 = filled from the encoder"},
    {"output_dim", JSTIP_OPT_INT, "0", "LLM hidden size; 0 = filled from the LLM"},
    {"num_queries", JSTIP_OPT_INT, "32", "learned queries = output frames per utterance"},
    {"d_model", JSTIP_OPT_INT, "256", "width of the query transformer"},
    {"num_layers", JSTIP_OPT_INT, "2", "query transformer layers"},
    {"num_heads", JSTIP_OPT_INT, "4", "attention heads"},
    {"ffn_dim", JSTIP_OPT_INT, "1024", "feed-forward inner width"},
    {"dropout", JSTIP_OPT_FLOAT, "0.1", "dropout on attention weights and residual branches"},
};

// Pre-norm: queries self-attend, cross-attend to the encoder, then FFN.
class QformerLayerImpl : public torch::nn::Module {
 public:
  QformerLayerImpl(int64_t d_model, int64_t num_heads, int64_t ffn_dim, double dropout);
  torch::Tensor forward(const torch::Tensor& queries, const torch::Tensor& memory, const torch::Tensor& memory_valid);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  layers::MultiHeadAttention self_attn{nullptr}, cross_attn{nullptr};
  layers::FeedForward feed_forward{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(QformerLayer);

class QformerProjector : public Projector {
 public:
  explicit QformerProjector(const Config& options);

  ProjectorOutput project(const torch::Tensor& hidden, const torch::Tensor& lengths) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t output_dim() const override { return output_dim_; }
  int64_t downsampling() const override { return 0; }

  torch::Tensor query_tokens;  // [num_queries, d_model]
  jstip::nn::LoraLinear input_proj{nullptr}, output_proj{nullptr};
  torch::nn::ModuleList layer_stack{nullptr};  // registered as "layers"
  torch::nn::LayerNorm final_norm{nullptr};

 private:
  int64_t input_dim_, output_dim_, num_queries_;
  std::vector<QformerLayer> layer_list_;
};

}  // namespace jstip::qformer
