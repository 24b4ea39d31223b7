// Validates a slot's options against a plugin's declared schema and fills
// in defaults, so plugins only ever see well-typed, complete configs.
#pragma once

#include <string>

#include "host/runtime/plugin_registry.h"
#include "jstip/config.h"

namespace jstip::host {

// Returns a new Config: `options` (a map, may hold `type`) checked against
// `plugin.options` with defaults added. Throws ConfigError naming file:line,
// the key and, for unknown keys, the closest declared one.
Config validate_options(const PluginInfo& plugin, const Config& options);

}  // namespace jstip::host
