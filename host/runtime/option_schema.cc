#include "host/runtime/option_schema.h"

#include "host/runtime/config_loader.h"
#include "jstip/nn/freeze.h"
#include "jstip/options.h"

namespace jstip::host {
namespace {

bool scalar_has_type(const std::string& text, int32_t type) {
  int64_t i;
  double d;
  bool b;
  switch (type) {
    case JSTIP_OPT_INT: return parse_int(text, &i);
    case JSTIP_OPT_FLOAT: return parse_double(text, &d);
    case JSTIP_OPT_BOOL: return parse_bool(text, &b);
    default: return true;  // strings
  }
}

int32_t element_type(int32_t list_type) {
  switch (list_type) {
    case JSTIP_OPT_INT_LIST: return JSTIP_OPT_INT;
    case JSTIP_OPT_FLOAT_LIST: return JSTIP_OPT_FLOAT;
    default: return JSTIP_OPT_STRING;
  }
}

// "" when `node` fits `type`, else what was expected.
std::string type_mismatch(const ConfigNode& node, int32_t type) {
  const std::string name = option_type_name(type);
  const std::string expected = (name[0] == 'i' ? "n " : " ") + name;  // "an int", "a float"

  switch (type) {
    case JSTIP_OPT_MAP:
      return node.kind == ConfigNode::Kind::Map ? "" : "a map";
    case JSTIP_OPT_INT_LIST:
    case JSTIP_OPT_FLOAT_LIST:
    case JSTIP_OPT_STRING_LIST:
      if (node.kind != ConfigNode::Kind::List) return "a" + expected;
      for (const auto& item : node.items)
        if (item->kind != ConfigNode::Kind::Scalar || !scalar_has_type(item->scalar, element_type(type)))
          return "a" + expected;
      return "";
    default:
      if (node.kind != ConfigNode::Kind::Scalar) return "a" + expected;
      return scalar_has_type(node.scalar, type) ? "" : "a" + expected;
  }
}

std::string describe(const ConfigNode& node) {
  if (node.kind == ConfigNode::Kind::Scalar) return "'" + node.scalar + "'";
  return node.kind == ConfigNode::Kind::List ? "a list" : "a map";
}

}  // namespace

Config validate_options(const PluginInfo& plugin, const Config& options) {
  const std::string slot = options.path().empty() ? plugin.kind : options.path();
  if (!options.is_map())
    throw ConfigError(options.where() + ": '" + slot + "' must be a map of options for plugin '" + plugin.name + "'");

  auto resolved = options.node()->clone();
  std::vector<std::string> declared;
  for (const auto& option : plugin.options) declared.push_back(option.name);

  // Keys every torch slot accepts besides its plugin's own (freeze, lora, ...).
  auto is_training_key = [](const std::string& key) {
    for (const char* k : jstip::nn::kTrainingOptionKeys)
      if (key == k) return true;
    return false;
  };
  for (const auto& [key, value] : resolved->fields) {
    if (key == "type" || (plugin.kind != "interleaver" && is_training_key(key))) continue;
    const OptionInfo* option = plugin.option(key);
    if (!option) {
      std::string suggestion = closest_match(key, declared);
      throw ConfigError(value->origin + ": unknown option '" + slot + "." + key + "' for " + plugin.kind + " '" +
                        plugin.name + "'" + (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") +
                        " (`jstip plugins describe " + plugin.name + "` lists its options)");
    }
    std::string expected = type_mismatch(*value, option->type);
    if (!expected.empty())
      throw ConfigError(value->origin + ": option '" + slot + "." + key + "' expects " + expected + ", got " +
                        describe(*value));
  }

  for (const auto& option : plugin.options) {
    if (resolved->find(option.name)) continue;
    if (option.required)
      throw ConfigError(options.where() + ": " + plugin.kind + " '" + plugin.name + "' needs option '" + slot + "." +
                        option.name + "' (" + option.doc + ")");
    auto default_node = parse_yaml("value: " + option.default_value, "default of " + plugin.name + "." + option.name);
    auto value = default_node->find("value");
    if (value->kind == ConfigNode::Kind::Null) value->kind = ConfigNode::Kind::Scalar;  // "" default
    resolved->fields.emplace_back(option.name, value);
  }
  return Config(resolved, slot);
}

}  // namespace jstip::host
