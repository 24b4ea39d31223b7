// bf16 autocast for the forward pass (trainer.precision: bf16). Matmuls and
// convolutions run in bfloat16; weights, gradients and optimizer state stay
// fp32. On CPU, LibTorch 1.13's autocast leaves layer_norm out of its fp32
// list, so a bf16 activation meets an fp32 weight and the kernel refuses;
// autocast.cc registers the missing fp32 rule.
#pragma once

namespace jstip::train {

class AutocastScope {
 public:
  AutocastScope(bool enabled, bool cuda);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_, cuda_;
};

}  // namespace jstip::train
