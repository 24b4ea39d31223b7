#include "host/compare/train_budget.h"

#include <stdexcept>

#include "host/runtime/config_loader.h"

namespace jstip::compare {

namespace {

std::vector<Config> stages_of(const Config& config) {
  if (!config.has("trainer.stages") || !config.child("trainer.stages").is_list())
    throw ConfigError(config.where("trainer") + ": trainer.stages must be a list of stages");
  return config.list("trainer.stages");
}

}  // namespace

std::vector<int64_t> scale_stage_steps(const std::vector<int64_t>& steps, int64_t total) {
  if (steps.empty()) throw std::invalid_argument("--steps: the config has no training stages");
  if (total < static_cast<int64_t>(steps.size()))
    throw std::invalid_argument("--steps " + std::to_string(total) + ": needs at least one step for each of the " +
                                std::to_string(steps.size()) + " stages");
  int64_t configured = 0;
  for (int64_t s : steps) configured += s;
  std::vector<int64_t> scaled;
  int64_t used = 0;
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    const int64_t left_for_rest = static_cast<int64_t>(steps.size() - i - 1);  // one each, at least
    int64_t share = configured > 0 ? steps[i] * total / configured : 1;
    share = std::max<int64_t>(1, std::min(share, total - used - left_for_rest));
    scaled.push_back(share);
    used += share;
  }
  scaled.push_back(total - used);
  return scaled;
}

int64_t total_steps(const Config& config) {
  int64_t total = 0;
  for (const Config& stage : stages_of(config)) total += stage.get_int("steps");
  return total;
}

std::string stages_override(const Config& config, int64_t total) {
  const auto stages = stages_of(config);
  std::vector<int64_t> steps;
  for (const Config& stage : stages) steps.push_back(stage.get_int("steps"));
  const auto scaled = scale_stage_steps(steps, total);
  const ConfigNodePtr list = config.child("trainer.stages").node()->clone();
  for (size_t i = 0; i < list->items.size(); ++i) {
    const ConfigNodePtr& stage = list->items[i];
    auto value = std::make_shared<ConfigNode>();
    value->kind = ConfigNode::Kind::Scalar;
    value->scalar = std::to_string(scaled[i]);
    bool found = false;
    for (auto& field : stage->fields)
      if (field.first == "steps") {
        field.second = value;
        found = true;
      }
    if (!found) stage->fields.emplace_back("steps", value);
  }
  return "trainer.stages=" + host::dump_yaml_flow(list);
}

}  // namespace jstip::compare
