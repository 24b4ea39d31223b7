// The `conv1d` projector: a strided 1-D convolution over time (down-sampling
// by `stride`), GELU, then a Linear into the LLM's space.
//
// The convolution is computed as unfold + Linear ("conv.weight" is
// [hidden, kernel_size * input_dim], frame-major): plain tensor ops, LoRA-capable,
// and it avoids LibTorch 1.13's CPU conv1d backward, which returned inf
// gradients intermittently for strided, padded inputs in our tests.
#pragma once

#include "jstip/config.h"
#include "jstip/nn/lora_linear.h"
#include "jstip/options.h"
#include "jstip/projector.h"

namespace jstip::conv1d {

inline constexpr jstip_option_desc kConv1dOptions[] = {
    {"input_dim", JSTIP_OPT_INT, "0", "encoder output width; 0 = filled from the encoder"},
    {"output_dim", JSTIP_OPT_INT, "0", "LLM hidden size; 0 = filled from the LLM"},
    {"stride", JSTIP_OPT_INT, "2", "time down-sampling factor"},
    {"kernel_size", JSTIP_OPT_INT, "3", "convolution width in frames (padding kernel_size / 2)"},
    {"hidden_dim", JSTIP_OPT_INT, "0", "convolution channels; 0 = output_dim"},
};

class Conv1dProjector : public Projector {
 public:
  explicit Conv1dProjector(const Config& options);

  ProjectorOutput project(const torch::Tensor& hidden, const torch::Tensor& lengths) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t output_dim() const override { return output_dim_; }
  int64_t downsampling() const override { return stride_; }

  torch::Tensor output_lengths(const torch::Tensor& lengths) const;  // floor((L + 2p - k) / s) + 1, 0 for L = 0

  jstip::nn::LoraLinear conv{nullptr}, linear{nullptr};

 private:
  int64_t input_dim_, output_dim_, stride_, kernel_, padding_;
};

}  // namespace jstip::conv1d
