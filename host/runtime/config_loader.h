// YAML -> config tree: load files, merge them left to right, apply
// `a.b.c=value` overrides, dump the result. Every node keeps file:line.
#pragma once

#include <string>
#include <vector>

#include "jstip/config.h"

namespace jstip::host {

// Parses YAML text; `origin` names it in errors ("configs/base.yaml").
// Malformed YAML throws ConfigError with file:line:column.
ConfigNodePtr parse_yaml(const std::string& text, const std::string& origin);
// A file may start from others: `base: common.yaml` (or a list), paths
// relative to the file; the file's own keys then merge over them.
ConfigNodePtr load_yaml_file(const std::string& path);

// Maps merge key by key (later wins); lists and scalars are replaced whole.
ConfigNodePtr merge_configs(const ConfigNodePtr& base, const ConfigNodePtr& overlay);

// "a.b.c=value": value is parsed as YAML (so lists work: "x=[1,2]").
void apply_override(const ConfigNodePtr& root, const std::string& assignment);

// Loads, merges and overrides; the usual entry point for commands.
Config load_config(const std::vector<std::string>& files, const std::vector<std::string>& overrides);

// YAML text of a tree (the resolved config, as embedded in checkpoints).
std::string dump_yaml(const ConfigNodePtr& root);
// The same on one line (flow style), e.g. the value of a `key=value` override.
std::string dump_yaml_flow(const ConfigNodePtr& root);

// Closest candidate by edit distance, or "" when none is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace jstip::host
