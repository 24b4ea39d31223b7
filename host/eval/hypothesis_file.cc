#include "host/eval/hypothesis_file.h"

#include <fstream>
#include <set>
#include <stdexcept>

#include "jstip/json.h"

namespace jstip::eval {
namespace {

std::string required_string(const Json& object, const std::string& key, const std::string& where) {
  const Json* value = object.find(key);
  if (value == nullptr || !value->is_string()) {
    throw std::runtime_error(where + ": expected a string field \"" + key + "\"");
  }
  return value->as_string();
}

}  // namespace

HypothesisRecord parse_hypothesis_line(const std::string& line, const std::string& where) {
  Json object;
  try {
    object = Json::parse(line);
  } catch (const JsonError& e) {
    throw std::runtime_error(where + ": not valid JSON (" + e.what() + ")");
  }
  if (!object.is_object()) throw std::runtime_error(where + ": expected a JSON object per line");
  HypothesisRecord record;
  record.id = required_string(object, "id", where);
  const std::string at = where + " (id '" + record.id + "')";
  record.hypothesis = required_string(object, "hypothesis", at);
  record.reference = required_string(object, "reference", at);
  record.speaker = object.get_string("speaker", "");
  if (const Json* entities = object.find("entities"); entities != nullptr && !entities->is_null()) {
    if (!entities->is_array()) throw std::runtime_error(at + ": expected \"entities\" to be an array");
    for (const auto& e : entities->items()) {
      const Json* begin = e.is_object() ? e.find("begin") : nullptr;
      const Json* end = e.is_object() ? e.find("end") : nullptr;
      const Json* type = e.is_object() ? e.find("type") : nullptr;
      if (begin == nullptr || end == nullptr || !begin->is_integer() || !end->is_integer() || type == nullptr ||
          !type->is_string()) {
        throw std::runtime_error(at + ": expected entities as {\"begin\": int, \"end\": int, \"type\": string}");
      }
      record.entities.push_back({begin->as_int(), end->as_int(), type->as_string()});
    }
  }
  if (const Json* answers = object.find("answers"); answers != nullptr && !answers->is_null()) {
    if (!answers->is_array()) throw std::runtime_error(at + ": expected \"answers\" to be an array of strings");
    for (const auto& a : answers->items()) {
      if (!a.is_string()) throw std::runtime_error(at + ": expected \"answers\" to be an array of strings");
      record.answers.push_back(a.as_string());
    }
  }
  return record;
}

std::vector<HypothesisRecord> read_hypothesis_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open hypothesis file " + path);
  std::vector<HypothesisRecord> records;
  std::set<std::string> ids;
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_number);
    records.push_back(parse_hypothesis_line(line, where));
    if (!ids.insert(records.back().id).second) {
      throw std::runtime_error(where + ": duplicate id '" + records.back().id + "'");
    }
  }
  return records;
}

}  // namespace jstip::eval
