// Composition: YAML slots -> live plugin objects, with the checks that make
// a graph of independently written plugins fit together.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host/runtime/plugin_registry.h"
#include "jstip/config.h"

namespace jstip {
class SpeechEncoder;
class Projector;
class LanguageModel;
class Interleaver;
}  // namespace jstip

namespace jstip::host {

// Top-level sections a config may have; anything else is an error with a suggestion.
const std::vector<std::string>& known_sections();

// The plugin slots, in the order they are created.
struct SlotSpec {
  const char* name;  // YAML key, also the plugin kind
  bool required;
};

struct Composition {
  Config config;  // resolved: files merged, overrides applied, plugin defaults filled
  std::shared_ptr<PluginRegistry> registry;
  std::shared_ptr<SpeechEncoder> encoder;
  std::shared_ptr<Projector> projector;
  std::shared_ptr<LanguageModel> llm;
  std::shared_ptr<Interleaver> interleaver;
  std::string plugin_name(const std::string& slot) const;  // "conformer"
};

struct ComposeOptions {
  bool need_model = true;        // encoder, projector, llm
  bool need_interleaver = false;
  bool create_objects = true;    // false: validate only (`jstip config check`)
};

// Plugin folders: defaults + `plugin_paths:` from the config.
std::shared_ptr<PluginRegistry> registry_for(const Config& config);

// Validates the config (sections, slot options) and creates the plugins.
// Dimension mismatches between slots are errors saying which slot to change.
Composition compose(const Config& config, const ComposeOptions& options = {});

// Runs `fn`, turning an exception thrown by plugin code into a PluginError
// that names the plugin (exceptions must not cross the boundary unnamed).
template <typename Fn>
auto call_plugin(const std::string& plugin, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const PluginError&) {
    throw;
  } catch (const std::exception& e) {
    throw PluginError("plugin '" + plugin + "': " + e.what());
  }
}

}  // namespace jstip::host
