#include "host/runtime/config_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "host/runtime/utf8.h"

namespace jstip::host {
namespace {

std::string origin_of(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1);
}

// A C0 control character or DEL: not text in YAML (tab and line ends aside).
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string hex_byte(unsigned char c) {
  char code[8];
  std::snprintf(code, sizeof code, "0x%02x", c);
  return code;
}

// YAML is printable Unicode text (lines end in LF or CRLF). yaml-cpp reads
// other bytes but cannot write them back as themselves (bytes that are not
// UTF-8 become U+FFFD, a NUL becomes 0xA0), so a checkpoint's dumped config
// would differ from the one it trained with: refused with the place,
// "FILE:LINE:COLUMN".
void check_text(const std::string& text, const std::string& origin) {
  size_t bad = utf8::invalid_offset(text);
  const char* what = "not UTF-8 text";
  for (size_t i = 0; i < std::min(bad, text.size()); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const bool line_end = c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n');  // LF or CRLF
    if (is_control(c) && c != '\t' && !line_end) {
      bad = i;
      what = "a control character";
      break;
    }
  }
  if (bad == std::string::npos) return;
  const size_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
  const size_t line_start = bad == 0 ? std::string::npos : text.rfind('\n', bad - 1);
  const size_t column = line_start == std::string::npos ? bad + 1 : bad - line_start;
  throw ConfigError(origin + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what + " (byte " +
                    std::to_string(bad) + " is " + hex_byte(static_cast<unsigned char>(text[bad])) + ")");
}

// Keys are names (sections, options, map entries). The length bound keeps a
// dumped key inside YAML's 1024-character limit on implicit keys even where
// the dump quotes and escapes it (checkpoints store their config as a dump);
// a control character has no business in a name. The text around a key has
// passed check_text, so what is caught here came from escapes ("\x01", "\xff").
constexpr size_t kMaxKeyBytes = 256;

void check_key(const std::string& key, const std::string& where) {
  if (key.size() > kMaxKeyBytes)
    throw ConfigError(where + ": a key of " + std::to_string(key.size()) + " bytes (a key is a name of at most " +
                      std::to_string(kMaxKeyBytes) + " bytes)");
  for (size_t i = 0; i < key.size(); ++i)
    if (is_control(static_cast<unsigned char>(key[i])))
      throw ConfigError(where + ": key '" + key.substr(0, i) + "...' holds control character " +
                        hex_byte(static_cast<unsigned char>(key[i])) + " at byte " + std::to_string(i) +
                        " (a key is a printable name)");
  if (utf8::invalid_offset(key) != std::string::npos)
    throw ConfigError(where + ": the escapes in this key make text that is not UTF-8");
}

ConfigNodePtr from_yaml(const YAML::Node& yaml, const std::string& file) {
  auto node = std::make_shared<ConfigNode>();
  node->origin = origin_of(file, yaml.Mark());
  switch (yaml.Type()) {
    case YAML::NodeType::Scalar:
      node->kind = ConfigNode::Kind::Scalar;
      node->scalar = yaml.Scalar();
      if (utf8::invalid_offset(node->scalar) != std::string::npos)  // escapes like "\xff" or "\ud800"
        throw ConfigError(node->origin + ": the escapes in this string make text that is not UTF-8");
      break;
    case YAML::NodeType::Sequence:
      node->kind = ConfigNode::Kind::List;
      for (const auto& item : yaml) node->items.push_back(from_yaml(item, file));
      break;
    case YAML::NodeType::Map:
      node->kind = ConfigNode::Kind::Map;
      for (const auto& field : yaml) {
        const std::string where = origin_of(file, field.first.Mark());
        if (!field.first.IsScalar()) throw ConfigError(where + ": a key must be a name, not a list or a map");
        std::string key = field.first.Scalar();
        check_key(key, where);
        if (node->find(key)) throw ConfigError(where + ": duplicate key '" + key + "'");
        node->fields.emplace_back(key, from_yaml(field.second, file));
      }
      break;
    default:
      node->kind = ConfigNode::Kind::Null;
  }
  return node;
}

// Whether yaml-cpp's own choice of style for `text` reads back as `text`. It
// writes some strings plain that do not: a leading "--- " reads as a document
// marker (the fuzzer's finding), "~" as null.
bool reads_back_as_itself(const std::string& text) {
  YAML::Emitter alone;
  alone << text;
  try {
    const YAML::Node node = YAML::Load(alone.c_str());
    return node.IsScalar() && node.Scalar() == text;
  } catch (const YAML::Exception&) {
    return false;
  }
}

// A key or a scalar value: as yaml-cpp chooses where that reads back, else double-quoted.
void emit_text(YAML::Emitter& out, const std::string& text) {
  if (!reads_back_as_itself(text)) out << YAML::DoubleQuoted;
  out << text;
}

// Lists are always flow style; maps are block style unless `flow_maps`.
void emit(YAML::Emitter& out, const ConfigNodePtr& node, bool flow_maps) {
  switch (node->kind) {
    case ConfigNode::Kind::Scalar: emit_text(out, node->scalar); break;
    case ConfigNode::Kind::List:
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : node->items) emit(out, item, flow_maps);
      out << YAML::EndSeq;
      break;
    case ConfigNode::Kind::Map:
      out << (flow_maps ? YAML::Flow : YAML::Block) << YAML::BeginMap;
      for (const auto& [key, value] : node->fields) {
        out << YAML::Key;
        emit_text(out, key);
        out << YAML::Value;
        emit(out, value, flow_maps);
      }
      out << YAML::EndMap;
      break;
    case ConfigNode::Kind::Null: out << YAML::Null; break;
  }
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

ConfigNodePtr parse_yaml(const std::string& text, const std::string& origin) {
  check_text(text, origin);
  YAML::Node yaml;
  try {
    yaml = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                      ": malformed YAML: " + e.msg);
  }
  auto root = from_yaml(yaml, origin);
  if (root->kind == ConfigNode::Kind::Null) {  // an empty file is an empty map
    root->kind = ConfigNode::Kind::Map;
  }
  if (root->kind != ConfigNode::Kind::Map)
    throw ConfigError(origin + ":1: expected a map of sections at the top level");
  return root;
}

namespace {

ConfigNodePtr load_with_bases(const std::string& path, std::vector<std::string>& chain) {
  if (std::find(chain.begin(), chain.end(), path) != chain.end())
    throw ConfigError(path + ": `base:` files include each other in a cycle");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  auto root = parse_yaml(text.str(), path);
  auto base = root->find("base");
  if (!base) return root;
  // `base: file.yaml` (or a list): files relative to this one, merged first.
  std::vector<ConfigNodePtr> names = base->kind == ConfigNode::Kind::List ? base->items : std::vector<ConfigNodePtr>{base};
  chain.push_back(path);
  ConfigNodePtr merged;
  for (const auto& name : names) {
    if (name->kind != ConfigNode::Kind::Scalar) throw ConfigError(name->origin + ": `base` takes file names");
    std::string base_path = (std::filesystem::path(path).parent_path() / name->scalar).string();
    merged = merge_configs(merged, load_with_bases(base_path, chain));
  }
  chain.pop_back();
  root->fields.erase(std::remove_if(root->fields.begin(), root->fields.end(),
                                    [](const auto& field) { return field.first == "base"; }),
                     root->fields.end());
  return merge_configs(merged, root);
}

}  // namespace

ConfigNodePtr load_yaml_file(const std::string& path) {
  std::vector<std::string> chain;
  return load_with_bases(path, chain);
}

ConfigNodePtr merge_configs(const ConfigNodePtr& base, const ConfigNodePtr& overlay) {
  if (!base) return overlay->clone();
  if (base->kind != ConfigNode::Kind::Map || overlay->kind != ConfigNode::Kind::Map) return overlay->clone();
  auto merged = base->clone();
  for (const auto& [key, value] : overlay->fields) {
    bool found = false;
    for (auto& field : merged->fields) {
      if (field.first != key) continue;
      // A slot whose `type` changes is a different plugin: drop the old options.
      auto old_type = field.second->find("type");
      auto new_type = value->find("type");
      bool type_changed = old_type && new_type && old_type->scalar != new_type->scalar;
      field.second = type_changed ? value->clone() : merge_configs(field.second, value);
      found = true;
    }
    if (!found) merged->fields.emplace_back(key, value->clone());
  }
  merged->origin = overlay->origin;
  return merged;
}

void apply_override(const ConfigNodePtr& root, const std::string& assignment) {
  auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("override '" + assignment + "': expected key.path=value");
  std::string key = assignment.substr(0, eq);
  std::string origin = "override '" + assignment + "'";
  check_text(assignment, origin);
  ConfigNodePtr value;
  try {
    value = from_yaml(YAML::Load(assignment.substr(eq + 1)), origin);
  } catch (const YAML::Exception& e) {
    throw ConfigError(origin + ": value is not valid YAML: " + e.msg);
  }
  auto set_origin = [&](auto&& self, const ConfigNodePtr& node) -> void {
    node->origin = origin;
    for (auto& item : node->items) self(self, item);
    for (auto& field : node->fields) self(self, field.second);
  };
  set_origin(set_origin, value);
  if (value->kind == ConfigNode::Kind::Null) {  // "key=" sets an empty string
    value->kind = ConfigNode::Kind::Scalar;
  }

  ConfigNodePtr node = root;
  size_t pos = 0;
  while (true) {
    size_t dot = key.find('.', pos);
    std::string part = key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (part.empty()) throw ConfigError(origin + ": empty key component");
    check_key(part, origin);
    if (node->kind != ConfigNode::Kind::Map)
      throw ConfigError(origin + ": '" + key.substr(0, pos ? pos - 1 : 0) + "' is not a map (" + node->origin + ")");
    auto child = node->find(part);
    if (dot == std::string::npos) {
      // Swapping a slot's plugin (`encoder.type=transformer`) drops the old
      // plugin's options, as a later config file does; set new ones after it.
      if (part == "type" && child && child->scalar != value->scalar)
        node->fields.erase(std::remove_if(node->fields.begin(), node->fields.end(),
                                          [](const auto& field) { return field.first != "type"; }),
                           node->fields.end());
      if (child) {
        *child = *value;
      } else {
        node->fields.emplace_back(part, value);
      }
      return;
    }
    if (!child) {
      child = std::make_shared<ConfigNode>();
      child->kind = ConfigNode::Kind::Map;
      child->origin = origin;
      node->fields.emplace_back(part, child);
    }
    node = child;
    pos = dot + 1;
  }
}

Config load_config(const std::vector<std::string>& files, const std::vector<std::string>& overrides) {
  ConfigNodePtr merged;
  for (const auto& file : files) merged = merge_configs(merged, load_yaml_file(file));
  if (!merged) {
    merged = std::make_shared<ConfigNode>();
    merged->kind = ConfigNode::Kind::Map;
    merged->origin = "(no config file)";
  }
  for (const auto& assignment : overrides) apply_override(merged, assignment);
  return Config(merged, "");
}

std::string dump_yaml(const ConfigNodePtr& root) {
  YAML::Emitter out;
  emit(out, root, false);
  return std::string(out.c_str()) + "\n";
}

std::string dump_yaml_flow(const ConfigNodePtr& root) {
  YAML::Emitter out;
  emit(out, root, true);
  return out.c_str();
}

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  return best;
}

}  // namespace jstip::host
