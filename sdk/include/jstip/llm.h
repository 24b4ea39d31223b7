// LanguageModel: a decoder-only LLM backbone that reads input embeddings,
// so speech embeddings and text-token embeddings can be spliced freely.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "jstip/component.h"

namespace jstip {

// Keys and values of every layer for the positions seen so far.
// Layout per layer: [B, kv_heads, T_past, head_dim]; empty before the first call.
struct KVCache {
  std::vector<torch::Tensor> keys;
  std::vector<torch::Tensor> values;
  int64_t length() const { return keys.empty() || !keys[0].defined() ? 0 : keys[0].size(2); }
};

struct LMOutput {
  torch::Tensor logits;  // [B, T, vocab]
  torch::Tensor hidden;  // [B, T, hidden] after the final norm
};

class JSTIP_API LanguageModel : public Component, public torch::nn::Module {
 public:
  ~LanguageModel() override;  // defined in libjstip_sdk: one vtable and typeinfo for all plugins

  // embeddings: [B, T, hidden_size()].
  // key_mask: [B, T_past + T] bool, true where a key may be attended (false =
  //   padding); causality is added by the model.
  // positions: [B, T] int64 position ids (left-padded batches start at 0 per row).
  // cache: when given, past keys/values are read and the new ones appended.
  virtual LMOutput forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                                      const torch::Tensor& positions, KVCache* cache) = 0;

  virtual torch::Tensor embed(const torch::Tensor& tokens) = 0;  // [B, T] -> [B, T, hidden]
  virtual int64_t hidden_size() const = 0;
  virtual int64_t vocab_size() const = 0;

  // Hugging Face layout (config.json + model.safetensors); see docs/models.md.
  virtual void load_pretrained(const std::string& directory) = 0;
  virtual void save_pretrained(const std::string& directory) = 0;
};

}  // namespace jstip
