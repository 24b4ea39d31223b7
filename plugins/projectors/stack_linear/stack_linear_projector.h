// The `stack_linear` projector (SLAM-ASR): concatenate every `stack`
// consecutive encoder frames, then Linear-ReLU-Linear into the LLM's space.
#pragma once

#include "jstip/config.h"
#include "jstip/nn/lora_linear.h"
#include "jstip/options.h"
#include "jstip/projector.h"

namespace jstip::stack_linear {

inline constexpr jstip_option_desc kStackLinearOptions[] = {
    {"input_dim", JSTIP_OPT_INT, "0", "encoder output width; 0 = filled from the encoder"},
    {"output_dim", JSTIP_OPT_INT, "0", "LLM hidden size; 0 = filled from the LLM"},
    {"stack", JSTIP_OPT_INT, "5", "encoder frames concatenated into one output frame"},
    {"hidden_dim", JSTIP_OPT_INT, "2048", "width between the two Linear layers; 0 = output_dim"},
};

class StackLinearProjector : public Projector {
 public:
  explicit StackLinearProjector(const Config& options);

  // A trailing partial group is kept (zero-filled): no speech is dropped.
  ProjectorOutput project(const torch::Tensor& hidden, const torch::Tensor& lengths) override;
  int64_t input_dim() const override { return input_dim_; }
  int64_t output_dim() const override { return output_dim_; }
  int64_t downsampling() const override { return stack_; }

  jstip::nn::LoraLinear linear1{nullptr}, linear2{nullptr};

 private:
  int64_t input_dim_, output_dim_, stack_;
};

}  // namespace jstip::stack_linear
