// A small JSON value with a strict, bounded parser and a writer.
//
// Used for safetensors headers and Hugging Face config.json files: both come
// from outside, so parsing never recurses without limit, never reads past the
// text, and rejects anything that is not plain JSON.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jstip/export.h"

namespace jstip {

class JSTIP_API JsonError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class JSTIP_API Json {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };

  Json() = default;  // null
  static Json boolean(bool value);
  static Json number(double value);
  static Json integer(int64_t value);  // kept exact (offsets, sizes)
  static Json string(std::string value);
  static Json array();
  static Json object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_number() const { return type_ == Type::Number; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }
  bool is_bool() const { return type_ == Type::Bool; }
  // True when the number was written without fraction or exponent and fits int64.
  bool is_integer() const { return type_ == Type::Number && exact_integer_; }

  // Typed access; a wrong type throws JsonError.
  bool as_bool() const;
  double as_double() const;
  int64_t as_int() const;  // requires is_integer()
  const std::string& as_string() const;
  const std::vector<Json>& items() const;
  const std::map<std::string, Json>& fields() const;

  // Objects: lookup (null pointer when absent) and typed lookups with fallbacks.
  const Json* find(const std::string& key) const;
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_double(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;

  // Building.
  Json& set(const std::string& key, Json value);  // objects
  Json& push(Json value);                         // arrays

  std::string dump(int indent = -1) const;  // indent < 0: compact

  // Throws JsonError with the byte offset; `max_depth` bounds nesting.
  static Json parse(const std::string& text, int max_depth = 64);

 private:
  Type type_ = Type::Null;
  bool bool_ = false;
  double number_ = 0;
  int64_t integer_ = 0;
  bool exact_integer_ = false;
  std::string string_;
  std::vector<Json> items_;
  std::map<std::string, Json> fields_;
};

// Reads a whole JSON file; errors name the file.
JSTIP_API Json read_json_file(const std::string& path);
// Writes atomically (temporary file + rename).
JSTIP_API void write_json_file(const std::string& path, const Json& value);

}  // namespace jstip
