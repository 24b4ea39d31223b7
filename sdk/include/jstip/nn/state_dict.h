// Moving named tensors in and out of a module, with errors that name the
// tensor and where it came from. Names are those of named_parameters()
// (plugins name their submodules after the Hugging Face layout, so these are
// HF names: "model.layers.0.self_attn.q_proj.weight").
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <string>
#include <vector>

#include "jstip/export.h"

namespace jstip::nn {

using TensorMap = std::map<std::string, torch::Tensor>;

// Parameters and buffers, detached. LoRA adapters are folded into their
// weights and left out, so the result is a plain checkpoint of the base model.
JSTIP_API TensorMap export_tensors(torch::nn::Module& module);

// Copies `tensors` into the module's parameters and buffers (converting dtype
// and device to the module's). A parameter with no tensor is an error naming it
// and `origin` unless it matches one of `optional_patterns` (regex_search) or is
// a LoRA adapter; a shape mismatch is an error naming it with both shapes.
// Returns the names in `tensors` that the module does not have.
JSTIP_API std::vector<std::string> load_tensors(torch::nn::Module& module, const TensorMap& tensors,
                                                const std::string& origin,
                                                const std::vector<std::string>& optional_patterns = {});

}  // namespace jstip::nn
