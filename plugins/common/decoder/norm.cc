#include "decoder/norm.h"

#include <torch/torch.h>

namespace jstip::decoder {

NormImpl::NormImpl(NormKind kind, int64_t dim, double eps) : kind_(kind), dim_(dim), eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
  if (kind == NormKind::kLayer) bias = register_parameter("bias", torch::zeros({dim}));
}

torch::Tensor NormImpl::forward(const torch::Tensor& x) {
  if (kind_ == NormKind::kLayer) return torch::layer_norm(x, {dim_}, weight, bias, eps_);
  // Normalized in float32 and cast back before the weight, as transformers does
  // (the result in half precision then equals theirs).
  auto x32 = x.to(torch::kFloat32);
  auto normed = x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + eps_);
  return weight * normed.to(x.scalar_type());
}

}  // namespace jstip::decoder
