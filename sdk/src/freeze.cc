#include "jstip/nn/freeze.h"

#include <torch/torch.h>

#include <regex>
#include <stdexcept>

#include "jstip/nn/lora_linear.h"

namespace jstip::nn {
namespace {

std::vector<std::regex> compile(const std::vector<std::string>& patterns) {
  std::vector<std::regex> out;
  for (const auto& p : patterns) {
    try {
      out.emplace_back(p, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      throw std::invalid_argument("bad name pattern '" + p + "': " + e.what());
    }
  }
  return out;
}

// (name, module) for the module itself and all descendants. named_modules()'s
// include_self needs a shared_ptr, which a module on the stack or one still in
// its constructor does not have.
std::vector<std::pair<std::string, torch::nn::Module*>> all_modules(torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::nn::Module*>> out = {{"", &module}};
  for (auto& item : module.named_modules("", /*include_self=*/false)) out.emplace_back(item.key(), item.value().get());
  return out;
}

bool matches_any(const std::string& name, const std::vector<std::regex>& regexes) {
  for (const auto& r : regexes)
    if (std::regex_search(name, r)) return true;
  return false;
}

int64_t set_matching(torch::nn::Module& module, const std::vector<std::string>& patterns, bool requires_grad) {
  auto regexes = compile(patterns);
  int64_t count = 0;
  for (auto& item : module.named_parameters()) {
    if (!matches_any(item.key(), regexes)) continue;
    item.value().set_requires_grad(requires_grad);
    ++count;
  }
  return count;
}

}  // namespace

int64_t freeze_all(torch::nn::Module& module) {
  int64_t count = 0;
  for (auto& p : module.parameters()) {
    p.set_requires_grad(false);
    ++count;
  }
  return count;
}

int64_t freeze_matching(torch::nn::Module& module, const std::vector<std::string>& patterns) {
  return set_matching(module, patterns, false);
}

int64_t unfreeze_matching(torch::nn::Module& module, const std::vector<std::string>& patterns) {
  return set_matching(module, patterns, true);
}

int64_t trainable_parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters())
    if (p.requires_grad()) count += p.numel();
  return count;
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

std::vector<std::string> inject_lora(torch::nn::Module& module, const std::string& target_pattern, int64_t rank,
                                     double alpha, double dropout) {
  auto regex = compile({target_pattern});
  std::vector<std::string> adapted;
  for (auto& [name, child] : all_modules(module)) {
    auto* linear = dynamic_cast<LoraLinearImpl*>(child);
    if (!linear || !matches_any(name, regex)) continue;
    linear->enable_lora(rank, alpha, dropout);
    adapted.push_back(name);
  }
  if (adapted.empty())
    throw std::invalid_argument("LoRA target pattern '" + target_pattern + "' matches no Linear layer");
  return adapted;
}

std::string apply_training_options(torch::nn::Module& module, const Config& slot) {
  std::string summary;
  if (slot.get_bool("freeze", false)) {
    freeze_all(module);
    summary += "frozen; ";
  }
  if (slot.has("freeze_patterns"))
    summary += "froze " + std::to_string(freeze_matching(module, slot.get_string_list("freeze_patterns"))) +
               " tensors by pattern; ";
  if (slot.has("unfreeze_patterns"))
    summary += "unfroze " + std::to_string(unfreeze_matching(module, slot.get_string_list("unfreeze_patterns"))) +
               " tensors by pattern; ";
  if (slot.has("lora")) {
    Config lora = slot.child("lora");
    if (!lora.has("target"))
      throw ConfigError(slot.where("lora") + ": lora needs `target: <regex of Linear module names>`");
    int64_t rank = lora.get_int("rank", 8);
    std::vector<std::string> adapted;
    try {
      adapted = inject_lora(module, lora.get_string("target"), rank, lora.get_double("alpha", 16.0),
                            lora.get_double("dropout", 0.0));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(slot.where("lora") + ": " + e.what());
    }
    summary += "LoRA rank " + std::to_string(rank) + " on " + std::to_string(adapted.size()) + " Linear layers; ";
  }
  summary += std::to_string(trainable_parameter_count(module)) + " of " + std::to_string(parameter_count(module)) +
             " parameters train";
  return summary;
}

int64_t merge_lora(torch::nn::Module& module) {
  int64_t count = 0;
  for (auto& [name, child] : all_modules(module)) {
    auto* linear = dynamic_cast<LoraLinearImpl*>(child);
    if (!linear || !linear->lora_enabled()) continue;
    linear->merge_lora();
    ++count;
  }
  return count;
}

}  // namespace jstip::nn
