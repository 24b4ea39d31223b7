// A decoder-only LLM built from a DecoderConfig: token embedding (plus a
// learned position table when the family has one), pre-norm layers
// (x + attention(norm(x)), then h + mlp(norm(h))), a final norm and the
// output layer (or the embedding, tied). A family's plugin class derives from
// DecoderModel and adds only what is its own: its config, its checkpoint
// names and layouts (load_pretrained / save_pretrained through weights.h).
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

#include <vector>

#include "decoder/attention.h"
#include "decoder/config.h"
#include "decoder/mlp.h"
#include "decoder/norm.h"
#include "decoder/rotary.h"
#include "jstip/llm.h"
#include "jstip/nn/lora_linear.h"

namespace jstip::decoder {

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const DecoderConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const RotaryTables* rope, const torch::Tensor& allowed, KVCache* cache,
                        size_t layer);

  Norm attention_norm{nullptr};
  SelfAttention attention{nullptr};
  Norm mlp_norm{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(DecoderLayer);

class DecoderStackImpl : public torch::nn::Module {
 public:
  explicit DecoderStackImpl(const DecoderConfig& config);
  torch::nn::Embedding embed{nullptr};
  torch::nn::Embedding positions{nullptr};  // learned positions only
  torch::nn::ModuleList layers{nullptr};
  Norm final_norm{nullptr};
  std::vector<DecoderLayer> layer_list;  // typed view of `layers`
};
TORCH_MODULE(DecoderStack);

class DecoderModel : public LanguageModel {
 public:
  LMOutput forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                              const torch::Tensor& positions, KVCache* cache) override;
  torch::Tensor embed(const torch::Tensor& tokens) override;  // token embedding only; positions are added in forward
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t vocab_size() const override { return config_.vocab_size; }

  const DecoderConfig& decoder_config() const { return config_; }
  torch::Dtype dtype() const { return stack->embed->weight.scalar_type(); }  // the parameters' dtype

  DecoderStack stack{nullptr};             // "<names.root>.*"
  jstip::nn::LoraLinear lm_head{nullptr};  // "lm_head.*"; null when tied

 protected:
  // Validates `config`, registers the modules under its names and initializes
  // them as transformers does: normal(0, 0.02) weights, zero biases, unit norms.
  void build(const DecoderConfig& config);
  // Takes the settings that carry no tensor shapes (a checkpoint's norm
  // epsilon and rope scaling) into the built model.
  void set_numerics(double norm_eps, const RotaryConfig& rotary);

 private:
  DecoderConfig config_;
  torch::Tensor inv_freq_;  // rotary inverse frequencies, cached (not a buffer: checkpoints stay as they are)
};

}  // namespace jstip::decoder
