// SpeechEncoder: padded features -> hidden states, padding masked everywhere.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include "jstip/component.h"

namespace jstip {

struct EncoderOutput {
  torch::Tensor hidden;      // [B, T', D] float
  torch::Tensor lengths;     // [B] int64, valid frames of each row of `hidden`
  torch::Tensor ctc_logits;  // [B, T', V] when the encoder has a CTC head, else undefined
};
// Convention (not required): a CTC head registered as the submodule "ctc_head",
// a jstip::nn::LoraLinear with ctc_logits = ctc_head(hidden). The host's
// encoder cache then trains the head alone over a cached frozen trunk.

class JSTIP_API SpeechEncoder : public Component, public torch::nn::Module {
 public:
  ~SpeechEncoder() override;  // defined in libjstip_sdk: one vtable and typeinfo for all plugins

  // feats: [B, T, input_dim()] padded with anything; lengths: [B] int64.
  // Rows must not depend on padding: an utterance batched with longer ones
  // gives the same output as alone.
  virtual EncoderOutput encode(const torch::Tensor& feats, const torch::Tensor& lengths) = 0;

  virtual int64_t input_dim() const = 0;   // feature bins it expects, e.g. 80
  virtual int64_t output_dim() const = 0;  // D of `hidden`
  // Frames of input per frame of output (e.g. 4 for conv2d subsampling x4):
  // word times map to output frames through this and the projector's factor.
  virtual int64_t downsampling() const = 0;
};

}  // namespace jstip
