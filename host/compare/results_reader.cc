#include "host/compare/results_reader.h"

#include <fstream>
#include <map>
#include <stdexcept>

#include "jstip/json.h"

namespace jstip::compare {

namespace {

Interval read_interval(const Json& parent, const std::string& key, const std::string& path) {
  const Json* j = parent.find(key);
  if (!j || !j->is_object()) throw std::runtime_error(path + ": expected an object \"" + key + "\"");
  for (const char* field : {"estimate", "lower", "upper"}) {
    const Json* v = j->find(field);
    if (!v || !v->is_number())
      throw std::runtime_error(path + ": \"" + key + "." + field + "\" must be a number");
  }
  return {j->get_double("estimate", 0), j->get_double("lower", 0), j->get_double("upper", 0)};
}

// The first of `keys` that holds a number.
std::optional<double> first_number(const Json& j, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    const Json* v = j.find(key);
    if (v && v->is_number()) return v->as_double();
  }
  return std::nullopt;
}

}  // namespace

TestScore read_eval_summary(const std::string& path, const std::string& test_name) {
  const Json summary = read_json_file(path);
  if (!summary.is_object()) throw std::runtime_error(path + ": expected a JSON object");
  if (summary.get_string("task", "asr") != "asr")
    throw std::runtime_error(path + ": compare scores ASR; this summary is for task '" +
                             summary.get_string("task", "") + "'");
  TestScore score;
  score.test = test_name;
  score.utterances = summary.get_int("utterances", 0);
  score.wer = read_interval(summary, "wer", path);
  score.cer = read_interval(summary, "cer", path);
  if (const Json* entities = summary.find("entity_accuracy")) {
    score.entity_accuracy = read_interval(*entities, "overall", path + ": entity_accuracy");
    score.entities_found = entities->get_int("found", 0);
    score.entities_total = entities->get_int("total", 0);
  }
  return score;
}

void read_decode_summary(const std::string& path, TestScore* score) {
  const Json summary = read_json_file(path);
  if (!summary.is_object()) throw std::runtime_error(path + ": expected a JSON object");
  score->real_time_factor = first_number(summary, {"real_time_factor"});
  score->tokens_per_second = first_number(summary, {"tokens_per_second"});
  if (const auto bytes = first_number(summary, {"peak_rss_bytes"})) score->peak_memory_mib = *bytes / 1048576.0;
}

void read_training_metrics(const std::string& path, ConfigRun* run) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read training metrics");
  std::map<int64_t, double> train, dev;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json record;
    try {
      record = Json::parse(line);
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
    }
    const Json* step = record.find("step");
    if (!step || !step->is_integer())
      throw std::runtime_error(path + ":" + std::to_string(number) + ": record without an integer \"step\"");
    if (const Json* loss = record.find("loss")) {
      if (loss->is_number()) train[step->as_int()] = loss->as_double();
      else train.erase(step->as_int());  // a skipped step re-logged
    }
    if (const Json* d = record.find("dev_loss"); d && d->is_number()) dev[step->as_int()] = d->as_double();
  }
  run->train_loss.clear();
  run->dev_loss.clear();
  for (const auto& [step, value] : train) run->train_loss.push_back({step, value});
  for (const auto& [step, value] : dev) run->dev_loss.push_back({step, value});
  run->final_dev_loss.reset();
  if (!run->dev_loss.empty()) run->final_dev_loss = run->dev_loss.back().value;
  if (!run->train_loss.empty()) run->steps = std::max(run->steps, run->train_loss.back().step);
}

}  // namespace jstip::compare
