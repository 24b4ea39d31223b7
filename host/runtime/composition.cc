#include "host/runtime/composition.h"

#include <algorithm>

#include "host/runtime/config_loader.h"
#include "host/runtime/option_schema.h"
#include "jstip/encoder.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"
#include "jstip/projector.h"

namespace jstip::host {
namespace {

// Replace (or add) `key` in a map node.
void set_field(const ConfigNodePtr& map, const std::string& key, ConfigNodePtr value) {
  for (auto& field : map->fields)
    if (field.first == key) {
      field.second = std::move(value);
      return;
    }
  map->fields.emplace_back(key, std::move(value));
}

ConfigNodePtr scalar_node(const std::string& text, const std::string& origin) {
  auto node = std::make_shared<ConfigNode>();
  node->kind = ConfigNode::Kind::Scalar;
  node->scalar = text;
  node->origin = origin;
  return node;
}

std::string slot_type(const Config& config, const std::string& slot) {
  Config section = config.child(slot);
  if (!section.is_map() || !section.has("type"))
    throw ConfigError(config.where(slot) + ": slot '" + slot + "' needs `type: <plugin name>`");
  return section.get_string("type");
}

// A plugin name that no library provides is a config mistake: name the
// `type:` line that asked for it.
const PluginInfo& find_slot_plugin(const Composition& c, const std::string& slot, const std::string& type) {
  try {
    return c.registry->find(type, slot);
  } catch (const PluginError& e) {
    throw PluginError(c.config.where(slot + ".type") + ": " + e.what());
  }
}

void check_sections(const Config& config) {
  for (const auto& key : config.keys()) {
    const auto& known = known_sections();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string suggestion = closest_match(key, known);
    throw ConfigError(config.where(key) + ": unknown section '" + key + "'" +
                      (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  }
}

// Projector dims of 0 mean "follow the neighbours"; anything else must agree.
void fill_projector_dims(const ConfigNodePtr& projector, int64_t encoder_dim, int64_t llm_hidden) {
  Config view(projector, "projector");
  if (view.get_int("input_dim", 0) == 0 && encoder_dim > 0)
    set_field(projector, "input_dim", scalar_node(std::to_string(encoder_dim), "from encoder.output_dim"));
  if (view.get_int("output_dim", 0) == 0 && llm_hidden > 0)
    set_field(projector, "output_dim", scalar_node(std::to_string(llm_hidden), "from llm.hidden_size"));
}

// The features' bins are the encoder's input: checked when the config has a
// `features` section (host/data/feature_extractor.h validates the rest; both
// of its types default to 80 bins).
void check_feature_bins(const Composition& c) {
  if (!c.encoder || !c.config.has("features")) return;
  const int64_t bins = c.config.get_int("features.num_bins", 80);
  if (bins == c.encoder->input_dim()) return;
  const std::string at = c.config.has("features.num_bins") ? "features.num_bins" : "features";
  throw ConfigError(c.config.where(at) + ": features.num_bins is " + std::to_string(bins) + " but encoder '" +
                    c.plugin_name("encoder") + "' takes encoder.input_dim " + std::to_string(c.encoder->input_dim()) +
                    " feature bins (" + c.config.where("encoder") + "): make the two equal");
}

void check_dimensions(const Composition& c) {
  const std::string enc = c.plugin_name("encoder"), proj = c.plugin_name("projector"), llm = c.plugin_name("llm");
  if (c.projector->input_dim() != c.encoder->output_dim())
    throw ConfigError(c.config.where("projector") + ": projector '" + proj + "' takes input_dim " +
                      std::to_string(c.projector->input_dim()) + " but encoder '" + enc + "' outputs " +
                      std::to_string(c.encoder->output_dim()) + ": set projector.input_dim: " +
                      std::to_string(c.encoder->output_dim()) + " (or 0 to follow the encoder), or change the encoder");
  if (c.projector->output_dim() != c.llm->hidden_size())
    throw ConfigError(c.config.where("projector") + ": projector '" + proj + "' outputs " +
                      std::to_string(c.projector->output_dim()) + " but llm '" + llm + "' has hidden size " +
                      std::to_string(c.llm->hidden_size()) + ": set projector.output_dim: " +
                      std::to_string(c.llm->hidden_size()) + " (or 0 to follow the llm), or change the llm");
}

}  // namespace

const std::vector<std::string>& known_sections() {
  static const std::vector<std::string> sections = {
      "encoder", "projector", "llm", "interleaver", "plugin_paths", "tokenizer", "data",
      "trainer", "decode", "align", "eval", "prompt", "speech", "features", "seed", "threads", "output_dir",
      "description", "device"};
  return sections;
}

std::string Composition::plugin_name(const std::string& slot) const {
  return config.has(slot + ".type") ? config.get_string(slot + ".type") : "";
}

std::shared_ptr<PluginRegistry> registry_for(const Config& config) {
  auto folders = PluginRegistry::default_folders();
  if (config.has("plugin_paths"))
    for (const auto& folder : config.get_string_list("plugin_paths")) folders.push_back(folder);
  return PluginRegistry::scan(folders);
}

Composition compose(const Config& input, const ComposeOptions& options) {
  check_sections(input);
  Composition c;
  auto root = input.node()->clone();
  c.config = Config(root, "");
  c.registry = registry_for(c.config);

  std::vector<SlotSpec> slots = {{"encoder", options.need_model},
                                 {"llm", options.need_model},
                                 {"projector", options.need_model},
                                 {"interleaver", options.need_interleaver}};
  int64_t encoder_dim = 0, llm_hidden = 0;
  for (const auto& slot : slots) {
    if (!c.config.has(slot.name)) {
      if (slot.required) throw ConfigError(c.config.where() + ": missing slot '" + std::string(slot.name) + "'");
      continue;
    }
    std::string type = slot_type(c.config, slot.name);
    const PluginInfo& info = find_slot_plugin(c, slot.name, type);
    ConfigNodePtr slot_node = root->find(slot.name);
    if (std::string(slot.name) == "projector") fill_projector_dims(slot_node, encoder_dim, llm_hidden);
    Config resolved = validate_options(info, Config(slot_node, slot.name));
    set_field(root, slot.name, resolved.node());
    if (!options.create_objects) continue;

    Config slot_config = c.config.child(slot.name);
    std::string name = slot.name;
    if (name == "encoder") {
      c.encoder = c.registry->create_as<SpeechEncoder>(type, name, slot_config);
      encoder_dim = c.encoder->output_dim();
    } else if (name == "llm") {
      c.llm = c.registry->create_as<LanguageModel>(type, name, slot_config);
      llm_hidden = c.llm->hidden_size();
    } else if (name == "projector") {
      c.projector = c.registry->create_as<Projector>(type, name, slot_config);
    } else if (name == "interleaver") {
      c.interleaver = c.registry->create_as<Interleaver>(type, name, slot_config);
    }
  }
  check_feature_bins(c);
  if (c.encoder && c.projector && c.llm) check_dimensions(c);
  return c;
}

}  // namespace jstip::host
