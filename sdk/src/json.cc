#include "jstip/json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace jstip {
namespace {

const char* type_name(Json::Type type) {
  switch (type) {
    case Json::Type::Null: return "null";
    case Json::Type::Bool: return "bool";
    case Json::Type::Number: return "number";
    case Json::Type::String: return "string";
    case Json::Type::Array: return "array";
    case Json::Type::Object: return "object";
  }
  return "?";
}

// Recursive-descent parser over a bounded buffer.
class Parser {
 public:
  Parser(const std::string& text, int max_depth) : text_(text), max_depth_(max_depth) {}

  Json parse_document() {
    Json value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) fail("trailing characters after the JSON value");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw JsonError("JSON error at byte " + std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r'))
      ++pos_;
  }
  char peek() {
    if (pos_ >= text_.size()) fail("unexpected end of text");
    return text_[pos_];
  }
  void expect_word(const char* word) {
    for (const char* c = word; *c; ++c) {
      if (pos_ >= text_.size() || text_[pos_] != *c) fail(std::string("expected '") + word + "'");
      ++pos_;
    }
  }

  Json parse_value(int depth) {
    if (depth > max_depth_) fail("nesting deeper than " + std::to_string(max_depth_));
    skip_space();
    char c = peek();
    if (c == '{') return parse_object(depth);
    if (c == '[') return parse_array(depth);
    if (c == '"') return Json::string(parse_string());
    if (c == 't') { expect_word("true"); return Json::boolean(true); }
    if (c == 'f') { expect_word("false"); return Json::boolean(false); }
    if (c == 'n') { expect_word("null"); return Json(); }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
    fail(std::string("unexpected character '") + c + "'");
  }

  Json parse_object(int depth) {
    ++pos_;  // '{'
    Json object = Json::object();
    skip_space();
    if (peek() == '}') { ++pos_; return object; }
    while (true) {
      skip_space();
      if (peek() != '"') fail("expected a string key");
      std::string key = parse_string();
      if (object.find(key)) fail("duplicate key '" + key + "'");
      skip_space();
      if (peek() != ':') fail("expected ':'");
      ++pos_;
      object.set(key, parse_value(depth + 1));
      skip_space();
      char c = peek();
      ++pos_;
      if (c == '}') return object;
      if (c != ',') fail("expected ',' or '}'");
    }
  }

  Json parse_array(int depth) {
    ++pos_;  // '['
    Json array = Json::array();
    skip_space();
    if (peek() == ']') { ++pos_; return array; }
    while (true) {
      array.push(parse_value(depth + 1));
      skip_space();
      char c = peek();
      ++pos_;
      if (c == ']') return array;
      if (c != ',') fail("expected ',' or ']'");
    }
  }

  unsigned parse_hex4() {
    if (text_.size() - pos_ < 4) fail("truncated \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= c - '0';
      else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
      else fail("bad hex digit in \\u escape");
    }
    return value;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) { out += static_cast<char>(0xC0 | (cp >> 6)); out += static_cast<char>(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string parse_string() {
    ++pos_;  // '"'
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("unterminated string");
      char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') { out += c; continue; }
      if (pos_ >= text_.size()) fail("unterminated escape");
      char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {  // surrogate pair
            if (text_.size() - pos_ < 6 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') fail("lone surrogate");
            pos_ += 2;
            unsigned low = parse_hex4();
            if (low < 0xDC00 || low >= 0xE000) fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, cp);
          break;
        }
        default: fail(std::string("bad escape '\\") + e + "'");
      }
    }
  }

  Json parse_number() {
    size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    auto digits = [&] {
      size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == begin) fail("expected digits");
    };
    digits();
    if (pos_ < text_.size() && text_[pos_] == '.') { integral = false; ++pos_; digits(); }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      digits();
    }
    std::string token = text_.substr(start, pos_ - start);
    if (integral) {
      errno = 0;
      char* end = nullptr;
      long long value = std::strtoll(token.c_str(), &end, 10);
      if (errno == 0 && end && *end == '\0') return Json::integer(value);
    }
    return Json::number(std::strtod(token.c_str(), nullptr));
  }

  const std::string& text_;
  int max_depth_;
  size_t pos_ = 0;
};

void dump_string(std::ostringstream& out, const std::string& s) {
  out << '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out << "\\\""; break;
      case '\\': out << "\\\\"; break;
      case '\n': out << "\\n"; break;
      case '\r': out << "\\r"; break;
      case '\t': out << "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out << buf;
        } else {
          out << static_cast<char>(c);
        }
    }
  }
  out << '"';
}

void dump_value(std::ostringstream& out, const Json& v, int indent, int level) {
  auto newline = [&](int lvl) {
    if (indent >= 0) out << '\n' << std::string(static_cast<size_t>(indent * lvl), ' ');
  };
  switch (v.type()) {
    case Json::Type::Null: out << "null"; break;
    case Json::Type::Bool: out << (v.as_bool() ? "true" : "false"); break;
    case Json::Type::Number:
      if (v.is_integer()) {
        out << v.as_int();
      } else {
        double d = v.as_double();
        if (!std::isfinite(d)) throw JsonError("JSON cannot hold a non-finite number");
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", d);
        out << buf;
      }
      break;
    case Json::Type::String: dump_string(out, v.as_string()); break;
    case Json::Type::Array: {
      out << '[';
      bool first = true;
      for (const auto& item : v.items()) {
        if (!first) out << ',';
        first = false;
        newline(level + 1);
        dump_value(out, item, indent, level + 1);
      }
      if (!v.items().empty()) newline(level);
      out << ']';
      break;
    }
    case Json::Type::Object: {
      out << '{';
      bool first = true;
      for (const auto& [key, item] : v.fields()) {
        if (!first) out << ',';
        first = false;
        newline(level + 1);
        dump_string(out, key);
        out << (indent >= 0 ? ": " : ":");
        dump_value(out, item, indent, level + 1);
      }
      if (!v.fields().empty()) newline(level);
      out << '}';
      break;
    }
  }
}

}  // namespace

Json Json::boolean(bool value) { Json j; j.type_ = Type::Bool; j.bool_ = value; return j; }
Json Json::number(double value) { Json j; j.type_ = Type::Number; j.number_ = value; return j; }
Json Json::integer(int64_t value) {
  Json j;
  j.type_ = Type::Number;
  j.number_ = static_cast<double>(value);
  j.integer_ = value;
  j.exact_integer_ = true;
  return j;
}
Json Json::string(std::string value) { Json j; j.type_ = Type::String; j.string_ = std::move(value); return j; }
Json Json::array() { Json j; j.type_ = Type::Array; return j; }
Json Json::object() { Json j; j.type_ = Type::Object; return j; }

#define JSTIP_JSON_REQUIRE(cond, expected) \
  if (!(cond)) throw JsonError(std::string("JSON value is ") + type_name(type_) + ", expected " + expected)

bool Json::as_bool() const { JSTIP_JSON_REQUIRE(type_ == Type::Bool, "bool"); return bool_; }
double Json::as_double() const { JSTIP_JSON_REQUIRE(type_ == Type::Number, "number"); return number_; }
int64_t Json::as_int() const {
  JSTIP_JSON_REQUIRE(type_ == Type::Number, "integer");
  if (!exact_integer_) {
    // Configs sometimes write 1e4 or 10000.0 for an integer.
    if (std::floor(number_) == number_ && std::fabs(number_) < 9.0e15) return static_cast<int64_t>(number_);
    throw JsonError("JSON number " + std::to_string(number_) + " is not an integer");
  }
  return integer_;
}
const std::string& Json::as_string() const { JSTIP_JSON_REQUIRE(type_ == Type::String, "string"); return string_; }
const std::vector<Json>& Json::items() const { JSTIP_JSON_REQUIRE(type_ == Type::Array, "array"); return items_; }
const std::map<std::string, Json>& Json::fields() const {
  JSTIP_JSON_REQUIRE(type_ == Type::Object, "object");
  return fields_;
}

const Json* Json::find(const std::string& key) const {
  if (type_ != Type::Object) return nullptr;
  auto it = fields_.find(key);
  return it == fields_.end() ? nullptr : &it->second;
}

int64_t Json::get_int(const std::string& key, int64_t fallback) const {
  const Json* v = find(key);
  if (!v || v->is_null()) return fallback;
  try { return v->as_int(); } catch (const JsonError& e) { throw JsonError("key '" + key + "': " + e.what()); }
}
double Json::get_double(const std::string& key, double fallback) const {
  const Json* v = find(key);
  if (!v || v->is_null()) return fallback;
  try { return v->as_double(); } catch (const JsonError& e) { throw JsonError("key '" + key + "': " + e.what()); }
}
bool Json::get_bool(const std::string& key, bool fallback) const {
  const Json* v = find(key);
  if (!v || v->is_null()) return fallback;
  try { return v->as_bool(); } catch (const JsonError& e) { throw JsonError("key '" + key + "': " + e.what()); }
}
std::string Json::get_string(const std::string& key, const std::string& fallback) const {
  const Json* v = find(key);
  if (!v || v->is_null()) return fallback;
  try { return v->as_string(); } catch (const JsonError& e) { throw JsonError("key '" + key + "': " + e.what()); }
}

Json& Json::set(const std::string& key, Json value) {
  JSTIP_JSON_REQUIRE(type_ == Type::Object, "object");
  fields_[key] = std::move(value);
  return *this;
}
Json& Json::push(Json value) {
  JSTIP_JSON_REQUIRE(type_ == Type::Array, "array");
  items_.push_back(std::move(value));
  return *this;
}

std::string Json::dump(int indent) const {
  std::ostringstream out;
  dump_value(out, *this, indent, 0);
  return out.str();
}

Json Json::parse(const std::string& text, int max_depth) { return Parser(text, max_depth).parse_document(); }

Json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw JsonError("cannot open JSON file '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  try {
    return Json::parse(buffer.str());
  } catch (const JsonError& e) {
    throw JsonError(path + ": " + e.what());
  }
}

void write_json_file(const std::string& path, const Json& value) {
  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw JsonError("cannot write '" + temp + "'");
    out << value.dump(2) << '\n';
    out.close();  // flushes: a full disk shows up here, not at destruction
    if (!out) {
      std::remove(temp.c_str());
      throw JsonError("failed writing '" + temp + "' (disk full?); '" + path + "' is unchanged");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) throw JsonError("cannot rename '" + temp + "' to '" + path + "'");
}

}  // namespace jstip
