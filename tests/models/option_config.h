// make_config: a plugin's option table (defaults, as the host fills them)
// plus overrides -> jstip::Config. Used by the model tests and benchmarks to
// build plugin objects without the host's plugin loader.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "jstip/config.h"
#include "jstip/options.h"

namespace jstip::testing {

// A Config holding a plugin's defaults (as the host fills them) plus overrides.
template <size_t N>
Config make_config(const jstip_option_desc (&options)[N], const std::map<std::string, std::string>& overrides = {}) {
  auto root = std::make_shared<ConfigNode>();
  root->kind = ConfigNode::Kind::Map;
  auto add = [&](const std::string& key, std::string text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
    auto node = std::make_shared<ConfigNode>();
    node->kind = ConfigNode::Kind::Scalar;
    node->scalar = text;
    node->origin = "test";
    root->fields.emplace_back(key, node);
  };
  for (const auto& option : options) {
    auto it = overrides.find(option.name);
    if (it != overrides.end()) add(option.name, it->second);
    else if (option.default_value) add(option.name, option.default_value);
  }
  for (const auto& [key, value] : overrides) {
    bool declared = false;
    for (const auto& option : options) declared |= key == option.name;
    if (!declared) throw std::invalid_argument("undeclared option '" + key + "'");
  }
  return Config(root, "test");
}

}  // namespace jstip::testing
