// What both speech encoders share around their layer stacks: input checks,
// the sinusoidal position table, and loading their own safetensors weights.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <string>

namespace jstip::layers {

// feats must be [B, T, input_dim] floating point and lengths [B] with 0 <= L <= T.
void check_encoder_inputs(const char* plugin, const torch::Tensor& feats, const torch::Tensor& lengths,
                          int64_t input_dim);

// Loads weights saved with jstip names (a .safetensors file, or a directory
// holding model.safetensors or a sharded index) into `module`; errors name
// the tensor. Unknown tensors are an error too (a different architecture).
void load_module_weights(torch::nn::Module& module, const std::string& path, const char* plugin);

}  // namespace jstip::layers
