// Typed, read-only view of one configuration subtree.
//
// The host parses YAML, merges files and overrides, fills defaults from the
// plugin's option schema and hands each plugin a Config. Every node remembers
// where it came from ("configs/base.yaml:12"), so errors name the place.
// No yaml-cpp types appear here: plugins need only the SDK to read options.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jstip/export.h"

namespace jstip {

// Raised for a missing key or a value of the wrong type; the message names
// the file:line and the full key.
class JSTIP_API ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One node of the config tree: a scalar (kept as text), a list or a map.
struct JSTIP_API ConfigNode {
  enum class Kind { Null, Scalar, List, Map };
  Kind kind = Kind::Null;
  std::string scalar;                                  // Kind::Scalar
  std::vector<std::shared_ptr<ConfigNode>> items;      // Kind::List
  std::vector<std::pair<std::string, std::shared_ptr<ConfigNode>>> fields;  // Kind::Map, in file order
  std::string origin;                                  // "file:line" or "override 'a.b=c'"

  std::shared_ptr<ConfigNode> find(const std::string& key) const;  // direct field, or null
  std::shared_ptr<ConfigNode> clone() const;                       // deep copy
};
using ConfigNodePtr = std::shared_ptr<ConfigNode>;

class JSTIP_API Config {
 public:
  Config();  // an empty map
  Config(ConfigNodePtr root, std::string path);

  // Keys are dotted paths below this view: "attention.heads".
  bool has(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  std::vector<int64_t> get_int_list(const std::string& key) const;
  std::vector<double> get_double_list(const std::string& key) const;
  std::vector<std::string> get_string_list(const std::string& key) const;

  // With a fallback when the key is absent (a present key of the wrong type still throws).
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;

  Config child(const std::string& key) const;   // a map or list below this view
  std::vector<Config> list(const std::string& key) const;  // items of a list of maps
  std::vector<std::string> keys() const;        // map keys, file order
  bool is_map() const;
  bool is_list() const;
  bool is_scalar() const;
  std::string scalar() const;                   // this node's text (scalars only)

  std::string path() const { return path_; }    // e.g. "encoder"
  std::string where(const std::string& key = "") const;  // origin of a key, e.g. "base.yaml:7"
  const ConfigNodePtr& node() const { return root_; }

 private:
  ConfigNodePtr lookup(const std::string& key) const;  // null when absent
  ConfigNodePtr require(const std::string& key) const;
  [[noreturn]] void type_error(const std::string& key, const ConfigNodePtr& node,
                               const std::string& expected) const;
  std::string full_key(const std::string& key) const;

  ConfigNodePtr root_;
  std::string path_;
};

// Parse scalars the same way everywhere (config validation uses these too).
JSTIP_API bool parse_int(const std::string& text, int64_t* out);
JSTIP_API bool parse_double(const std::string& text, double* out);
JSTIP_API bool parse_bool(const std::string& text, bool* out);

}  // namespace jstip
