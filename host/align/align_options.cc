#include "host/align/align_options.h"

#include <algorithm>
#include <vector>

#include "host/runtime/config_loader.h"

namespace jstip::align {

AlignSettings align_settings_from_config(const Config& config) {
  AlignSettings settings;
  if (!config.has("align")) return settings;
  const Config section = config.child("align");
  static const std::vector<std::string> known = {"min_score", "poor", "boundaries", "batch_size", "device"};
  for (const auto& key : section.keys()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string suggestion = host::closest_match(key, known);
    throw ConfigError(section.where(key) + ": unknown option 'align." + key + "'" +
                      (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  }
  settings.min_score = section.get_double("min_score", settings.min_score);
  const std::string poor = section.get_string("poor", "drop");
  if (poor != "drop" && poor != "flag")
    throw ConfigError(section.where("poor") + ": align.poor must be drop or flag, not '" + poor + "'");
  settings.drop_poor = poor == "drop";
  const std::string boundaries = section.get_string("boundaries", "spikes");
  if (boundaries != "spikes" && boundaries != "gaps")
    throw ConfigError(section.where("boundaries") + ": align.boundaries must be spikes or gaps, not '" + boundaries + "'");
  settings.boundaries = boundaries == "gaps" ? Boundaries::Gaps : Boundaries::Spikes;
  settings.batch_size = section.get_int("batch_size", settings.batch_size);
  if (settings.batch_size < 1) throw ConfigError(section.where("batch_size") + ": align.batch_size must be >= 1");
  settings.device = section.get_string("device", settings.device);
  return settings;
}

}  // namespace jstip::align
