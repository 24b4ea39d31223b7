// Freezing and LoRA injection by parameter / module name.
//
// Names are those of named_parameters() / named_modules(), e.g.
// "model.layers.3.self_attn.q_proj.weight". Patterns are ECMAScript regexes
// matched anywhere in the name (std::regex_search); anchor them with ^...$
// to match whole names.
#pragma once

#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "jstip/config.h"
#include "jstip/export.h"

namespace jstip::nn {

// Sets requires_grad=false on every parameter (freeze_all) or on those whose
// name matches any pattern. Returns how many parameters were frozen.
JSTIP_API int64_t freeze_all(torch::nn::Module& module);
JSTIP_API int64_t freeze_matching(torch::nn::Module& module, const std::vector<std::string>& patterns);
// The inverse: requires_grad=true on matching parameters.
JSTIP_API int64_t unfreeze_matching(torch::nn::Module& module, const std::vector<std::string>& patterns);

// Count of parameters (elements) that train / that exist.
JSTIP_API int64_t trainable_parameter_count(const torch::nn::Module& module);
JSTIP_API int64_t parameter_count(const torch::nn::Module& module);

// Enables LoRA on every LoraLinear whose module name matches `target_pattern`
// (e.g. "self_attn\\.(q|k|v|o)_proj$"). Their base weights are frozen; other
// parameters are left as they are (freeze them with freeze_all first for
// adapter-only training). Throws std::invalid_argument when nothing matches.
// Returns the names of the adapted modules.
JSTIP_API std::vector<std::string> inject_lora(torch::nn::Module& module, const std::string& target_pattern,
                                               int64_t rank, double alpha, double dropout = 0.0);

// Folds every LoRA adapter into its weight (for export). Returns how many were merged.
JSTIP_API int64_t merge_lora(torch::nn::Module& module);

// Keys a slot may carry next to its plugin options (the host strips them
// before validating the plugin's own options):
//   freeze: true                      freeze every parameter of the slot
//   freeze_patterns: [regex, ...]     freeze matching parameters
//   unfreeze_patterns: [regex, ...]   then make matching parameters trainable again
//   lora: {target: regex, rank: 8, alpha: 16, dropout: 0.0}
//                                     then add LoRA adapters (trainable) on matching Linears
inline constexpr const char* kTrainingOptionKeys[] = {"freeze", "freeze_patterns", "unfreeze_patterns", "lora"};

// Applies those keys of `slot` to `module` in the order above and returns a
// one-line summary for the log. Errors name the key (file:line via Config).
JSTIP_API std::string apply_training_options(torch::nn::Module& module, const Config& slot);

}  // namespace jstip::nn
