#include "host/train/autocast.h"

#include <ATen/autocast_mode.h>
#include <torch/library.h>
#include <torch/torch.h>
#include <torch/version.h>

namespace jstip::train {
namespace {

// layer_norm under CPU autocast: compute in fp32, like CUDA autocast does.
at::Tensor layer_norm_in_fp32(const at::Tensor& input, c10::IntArrayRef normalized_shape,
                              const c10::optional<at::Tensor>& weight, const c10::optional<at::Tensor>& bias,
                              double eps, bool cudnn_enable) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  auto fp32 = [](const c10::optional<at::Tensor>& t) -> c10::optional<at::Tensor> {
    if (!t.has_value() || !t->defined()) return t;
    return t->to(at::kFloat);
  };
  return at::layer_norm(input.to(at::kFloat), normalized_shape, fp32(weight), fp32(bias), eps, cudnn_enable);
}

}  // namespace

// Later LibTorch releases register this rule themselves (a second
// registration would be refused at load time).
#if TORCH_VERSION_MAJOR < 2
TORCH_LIBRARY_IMPL(aten, AutocastCPU, m) { m.impl("layer_norm", TORCH_FN(layer_norm_in_fp32)); }
#endif

AutocastScope::AutocastScope(bool enabled, bool cuda) : enabled_(enabled), cuda_(cuda) {
  if (!enabled_) return;
  if (cuda_) {
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  if (cuda_)
    at::autocast::set_enabled(false);
  else
    at::autocast::set_cpu_enabled(false);
  at::autocast::clear_cache();
}

}  // namespace jstip::train
