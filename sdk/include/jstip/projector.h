// Projector: encoder hidden states -> embeddings in the LLM's input space.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include "jstip/component.h"

namespace jstip {

struct ProjectorOutput {
  torch::Tensor embeddings;  // [B, T'', llm hidden]
  torch::Tensor lengths;     // [B] int64
};

class JSTIP_API Projector : public Component, public torch::nn::Module {
 public:
  ~Projector() override;  // defined in libjstip_sdk: one vtable and typeinfo for all plugins

  virtual ProjectorOutput project(const torch::Tensor& hidden, const torch::Tensor& lengths) = 0;

  virtual int64_t input_dim() const = 0;   // must equal the encoder's output_dim()
  virtual int64_t output_dim() const = 0;  // must equal the LLM's hidden_size()
  // Encoder frames per output frame; 0 for query-based projectors whose
  // output frames do not map to time (word-level interleaving then refuses them).
  virtual int64_t downsampling() const = 0;
};

}  // namespace jstip
