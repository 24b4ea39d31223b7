#include "stack_linear_projector.h"

#include <torch/torch.h>

#include "layers/masks.h"

namespace jstip::stack_linear {

StackLinearProjector::StackLinearProjector(const Config& options)
    : input_dim_(layers::required_dim(options.get_int("input_dim", 0), "input_dim", "stack_linear")),
      output_dim_(layers::required_dim(options.get_int("output_dim", 0), "output_dim", "stack_linear")),
      stack_(layers::positive_option(options.get_int("stack", 5), "stack", "stack_linear")) {
  int64_t hidden = options.get_int("hidden_dim", 2048);
  if (hidden <= 0) hidden = output_dim_;
  linear1 = register_module("linear1", jstip::nn::LoraLinear(input_dim_ * stack_, hidden));
  linear2 = register_module("linear2", jstip::nn::LoraLinear(hidden, output_dim_));
}

ProjectorOutput StackLinearProjector::project(const torch::Tensor& hidden, const torch::Tensor& lengths_in) {
  layers::check_projector_inputs("stack_linear", hidden, lengths_in, input_dim_);
  auto lengths = lengths_in.to(hidden.device(), torch::kInt64);  // callers may keep lengths on the CPU
  int64_t batch = hidden.size(0), frames = hidden.size(1);
  int64_t groups = (frames + stack_ - 1) / stack_;
  auto x = layers::zero_padding(hidden, layers::lengths_to_mask(lengths, frames));
  x = torch::constant_pad_nd(x, {0, 0, 0, groups * stack_ - frames});
  x = x.reshape({batch, groups, stack_ * input_dim_});
  ProjectorOutput out;
  out.lengths = torch::div(lengths.to(torch::kInt64) + (stack_ - 1), stack_, "floor");
  out.embeddings = layers::zero_padding(linear2(torch::relu(linear1(x))), layers::lengths_to_mask(out.lengths, groups));
  return out;
}

}  // namespace jstip::stack_linear
