#include "jstip/config.h"

#include <cerrno>
#include <cmath>  // HUGE_VAL (was found only through the torch precompiled header)
#include <cstdlib>

namespace jstip {

ConfigNodePtr ConfigNode::find(const std::string& key) const {
  for (const auto& [name, value] : fields)
    if (name == key) return value;
  return nullptr;
}

ConfigNodePtr ConfigNode::clone() const {
  auto copy = std::make_shared<ConfigNode>(*this);
  for (auto& item : copy->items) item = item->clone();
  for (auto& field : copy->fields) field.second = field.second->clone();
  return copy;
}

bool parse_int(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  *out = value;
  return true;
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  if (text == ".inf" || text == "inf") { *out = HUGE_VAL; return true; }
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0') return false;
  *out = value;
  return true;
}

bool parse_bool(const std::string& text, bool* out) {
  if (text == "true" || text == "True" || text == "yes" || text == "on") { *out = true; return true; }
  if (text == "false" || text == "False" || text == "no" || text == "off") { *out = false; return true; }
  return false;
}

Config::Config() : root_(std::make_shared<ConfigNode>()), path_() { root_->kind = ConfigNode::Kind::Map; }

Config::Config(ConfigNodePtr root, std::string path) : root_(std::move(root)), path_(std::move(path)) {
  if (!root_) {
    root_ = std::make_shared<ConfigNode>();
    root_->kind = ConfigNode::Kind::Map;
  }
}

std::string Config::full_key(const std::string& key) const {
  if (path_.empty()) return key;
  if (key.empty()) return path_;
  return path_ + "." + key;
}

ConfigNodePtr Config::lookup(const std::string& key) const {
  ConfigNodePtr node = root_;
  size_t pos = 0;
  while (node && pos <= key.size()) {
    size_t dot = key.find('.', pos);
    std::string part = key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    if (node->kind != ConfigNode::Kind::Map) return nullptr;
    node = node->find(part);
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  if (node && node->kind == ConfigNode::Kind::Null) return nullptr;
  return node;
}

ConfigNodePtr Config::require(const std::string& key) const {
  ConfigNodePtr node = lookup(key);
  if (!node) {
    std::string at = root_->origin.empty() ? "" : root_->origin + ": ";
    throw ConfigError(at + "missing required key '" + full_key(key) + "'");
  }
  return node;
}

void Config::type_error(const std::string& key, const ConfigNodePtr& node,
                        const std::string& expected) const {
  std::string got = node->kind == ConfigNode::Kind::Scalar ? "'" + node->scalar + "'"
                    : node->kind == ConfigNode::Kind::List ? "a list"
                                                           : "a map";
  throw ConfigError(node->origin + ": key '" + full_key(key) + "': expected " + expected + ", got " + got);
}

bool Config::has(const std::string& key) const { return lookup(key) != nullptr; }

int64_t Config::get_int(const std::string& key) const {
  auto node = require(key);
  int64_t value = 0;
  if (node->kind != ConfigNode::Kind::Scalar || !parse_int(node->scalar, &value)) type_error(key, node, "an integer");
  return value;
}

double Config::get_double(const std::string& key) const {
  auto node = require(key);
  double value = 0;
  if (node->kind != ConfigNode::Kind::Scalar || !parse_double(node->scalar, &value)) type_error(key, node, "a number");
  return value;
}

bool Config::get_bool(const std::string& key) const {
  auto node = require(key);
  bool value = false;
  if (node->kind != ConfigNode::Kind::Scalar || !parse_bool(node->scalar, &value)) type_error(key, node, "true or false");
  return value;
}

std::string Config::get_string(const std::string& key) const {
  auto node = require(key);
  if (node->kind != ConfigNode::Kind::Scalar) type_error(key, node, "a string");
  return node->scalar;
}

int64_t Config::get_int(const std::string& key, int64_t fallback) const { return has(key) ? get_int(key) : fallback; }
double Config::get_double(const std::string& key, double fallback) const { return has(key) ? get_double(key) : fallback; }
bool Config::get_bool(const std::string& key, bool fallback) const { return has(key) ? get_bool(key) : fallback; }
std::string Config::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

namespace {
template <typename T, typename Parse>
std::vector<T> scalars_of(const Config& self, const ConfigNodePtr& node, Parse parse, bool* ok) {
  std::vector<T> out;
  *ok = node->kind == ConfigNode::Kind::List;
  if (!*ok) return out;
  for (const auto& item : node->items) {
    T value{};
    if (item->kind != ConfigNode::Kind::Scalar || !parse(item->scalar, &value)) {
      *ok = false;
      return out;
    }
    out.push_back(value);
  }
  return out;
}
bool parse_string(const std::string& text, std::string* out) {
  *out = text;
  return true;
}
}  // namespace

std::vector<int64_t> Config::get_int_list(const std::string& key) const {
  auto node = require(key);
  bool ok = false;
  auto out = scalars_of<int64_t>(*this, node, parse_int, &ok);
  if (!ok) type_error(key, node, "a list of integers");
  return out;
}

std::vector<double> Config::get_double_list(const std::string& key) const {
  auto node = require(key);
  bool ok = false;
  auto out = scalars_of<double>(*this, node, parse_double, &ok);
  if (!ok) type_error(key, node, "a list of numbers");
  return out;
}

std::vector<std::string> Config::get_string_list(const std::string& key) const {
  auto node = require(key);
  bool ok = false;
  auto out = scalars_of<std::string>(*this, node, parse_string, &ok);
  if (!ok) type_error(key, node, "a list of strings");
  return out;
}

Config Config::child(const std::string& key) const {
  auto node = require(key);
  if (node->kind == ConfigNode::Kind::Scalar) type_error(key, node, "a map or a list");
  return Config(node, full_key(key));
}

std::vector<Config> Config::list(const std::string& key) const {
  auto node = require(key);
  if (node->kind != ConfigNode::Kind::List) type_error(key, node, "a list");
  std::vector<Config> out;
  for (size_t i = 0; i < node->items.size(); ++i)
    out.emplace_back(node->items[i], full_key(key) + "[" + std::to_string(i) + "]");
  return out;
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  if (root_->kind == ConfigNode::Kind::Map)
    for (const auto& field : root_->fields) out.push_back(field.first);
  return out;
}

bool Config::is_map() const { return root_->kind == ConfigNode::Kind::Map; }
bool Config::is_list() const { return root_->kind == ConfigNode::Kind::List; }
bool Config::is_scalar() const { return root_->kind == ConfigNode::Kind::Scalar; }
std::string Config::scalar() const {
  if (root_->kind != ConfigNode::Kind::Scalar)
    throw ConfigError(root_->origin + ": '" + path_ + "': expected a scalar");
  return root_->scalar;
}

std::string Config::where(const std::string& key) const {
  if (key.empty()) return root_->origin;
  auto node = lookup(key);
  return node ? node->origin : root_->origin;
}

}  // namespace jstip
