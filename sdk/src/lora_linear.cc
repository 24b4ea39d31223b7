#include "jstip/nn/lora_linear.h"

#include <torch/torch.h>

#include <cmath>
#include <stdexcept>

namespace jstip::nn {

LoraLinearImpl::LoraLinearImpl(int64_t in_features, int64_t out_features, bool with_bias)
    : in_features_(in_features), out_features_(out_features) {
  if (in_features <= 0 || out_features <= 0)
    throw std::invalid_argument("LoraLinear: in_features and out_features must be positive, got " +
                                std::to_string(in_features) + " and " + std::to_string(out_features));
  weight = register_parameter("weight", torch::empty({out_features, in_features}));
  if (with_bias) bias = register_parameter("bias", torch::empty({out_features}));
  reset_parameters();
}

LoraLinearImpl::~LoraLinearImpl() = default;

void LoraLinearImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in_features_));
    bias.uniform_(-bound, bound);
  }
}

torch::Tensor linear(const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias) {
  const bool one_row = input.dim() >= 1 && input.numel() == input.size(-1) && input.is_cpu() &&
                       input.scalar_type() == torch::kFloat32 && weight.scalar_type() == torch::kFloat32;
  if (!one_row) return torch::nn::functional::linear(input, weight, bias);
  auto sizes = input.sizes().vec();
  sizes.back() = weight.size(0);
  const auto row = input.reshape({input.size(-1)});
  return (bias.defined() ? torch::addmv(bias, weight, row) : torch::mv(weight, row)).view(sizes);
}

torch::Tensor LoraLinearImpl::forward(const torch::Tensor& input) {
  torch::Tensor out = linear(input, weight, bias);
  if (lora_a.defined()) {
    torch::Tensor x = lora_dropout_ > 0 ? torch::dropout(input, lora_dropout_, is_training()) : input;
    out = out + torch::matmul(torch::matmul(x, lora_a.t()), lora_b.t()) * lora_scale_;
  }
  return out;
}

void LoraLinearImpl::enable_lora(int64_t rank, double alpha, double dropout) {
  if (rank <= 0) throw std::invalid_argument("LoraLinear: LoRA rank must be positive, got " + std::to_string(rank));
  auto options = weight.options().requires_grad(true);
  torch::Tensor a = torch::empty({rank, in_features_}, options.requires_grad(false));
  {
    torch::NoGradGuard no_grad;
    torch::nn::init::kaiming_uniform_(a, std::sqrt(5.0));
  }
  // B = 0: the adapted layer starts out computing exactly what it did before.
  torch::Tensor b = torch::zeros({out_features_, rank}, options.requires_grad(false));
  if (lora_a.defined()) {
    lora_a.set_data(a);
    lora_b.set_data(b);
  } else {
    lora_a = register_parameter("lora_A", a);
    lora_b = register_parameter("lora_B", b);
  }
  lora_a.set_requires_grad(true);
  lora_b.set_requires_grad(true);
  lora_rank_ = rank;
  lora_scale_ = alpha / static_cast<double>(rank);
  lora_dropout_ = dropout;
  weight.set_requires_grad(false);
  if (bias.defined()) bias.set_requires_grad(false);
}

torch::Tensor LoraLinearImpl::merged_weight() const {
  if (!lora_a.defined()) return weight;
  return weight + torch::matmul(lora_b, lora_a).to(weight.dtype()) * lora_scale_;
}

void LoraLinearImpl::merge_lora() {
  if (!lora_a.defined()) return;
  {
    torch::NoGradGuard no_grad;
    weight.copy_(merged_weight());
  }
  // Module has no unregister_parameter: erase the adapters from the protected dict.
  auto& params = parameters_;
  params.erase("lora_A");
  params.erase("lora_B");
  lora_a = torch::Tensor();
  lora_b = torch::Tensor();
  lora_rank_ = 0;
  lora_scale_ = 0.0;
}

}  // namespace jstip::nn
