#include "jstip/nn/state_dict.h"

#include <torch/torch.h>

#include <regex>
#include <sstream>
#include <stdexcept>

#include "jstip/nn/lora_linear.h"

namespace jstip::nn {
namespace {

std::string shape_text(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

bool is_lora_name(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with("lora_A") || ends_with("lora_B");
}

}  // namespace

TensorMap export_tensors(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  TensorMap out;
  for (const auto& item : module.named_parameters())
    if (!is_lora_name(item.key())) out[item.key()] = item.value().detach();
  for (const auto& item : module.named_buffers()) out[item.key()] = item.value().detach();
  // Adapted layers export the weight they effectively compute with.
  // named_modules()'s include_self needs a shared_ptr; handle the module itself apart.
  std::vector<std::pair<std::string, torch::nn::Module*>> all = {{"", &module}};
  for (const auto& item : module.named_modules("", /*include_self=*/false)) all.emplace_back(item.key(), item.value().get());
  for (const auto& [name, child] : all) {
    auto* linear = dynamic_cast<LoraLinearImpl*>(child);
    if (!linear || !linear->lora_enabled()) continue;
    out[(name.empty() ? "" : name + ".") + "weight"] = linear->merged_weight().detach();
  }
  return out;
}

std::vector<std::string> load_tensors(torch::nn::Module& module, const TensorMap& tensors, const std::string& origin,
                                      const std::vector<std::string>& optional_patterns) {
  std::vector<std::regex> optional;
  for (const auto& p : optional_patterns) optional.emplace_back(p);
  auto is_optional = [&](const std::string& name) {
    if (is_lora_name(name)) return true;
    for (const auto& r : optional)
      if (std::regex_search(name, r)) return true;
    return false;
  };

  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> targets;
  for (const auto& item : module.named_parameters()) targets[item.key()] = item.value();
  for (const auto& item : module.named_buffers()) targets[item.key()] = item.value();

  // Check everything before copying anything: a failed load leaves the module as it was.
  std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
  for (const auto& [name, target] : targets) {
    auto it = tensors.find(name);
    if (it == tensors.end()) {
      if (is_optional(name)) continue;
      throw std::runtime_error("tensor '" + name + "' is missing from " + origin);
    }
    if (!it->second.defined()) throw std::runtime_error("tensor '" + name + "' in " + origin + " is undefined");
    if (it->second.sizes() != target.sizes())
      throw std::runtime_error("tensor '" + name + "' in " + origin + " has shape " + shape_text(it->second) +
                               ", the model expects " + shape_text(target));
    copies.emplace_back(target, it->second);
  }
  for (auto& [target, source] : copies) target.copy_(source.to(target.device(), target.scalar_type()));

  std::vector<std::string> unused;
  for (const auto& entry : tensors)
    if (!targets.count(entry.first)) unused.push_back(entry.first);
  return unused;
}

}  // namespace jstip::nn
