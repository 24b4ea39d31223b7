#include "host/compare/results_json.h"

namespace jstip::compare {

namespace {

Json interval_json(const Interval& ci) {
  Json j = Json::object();
  j.set("estimate", Json::number(ci.estimate));
  j.set("lower", Json::number(ci.lower));
  j.set("upper", Json::number(ci.upper));
  return j;
}

Json optional_number(const std::optional<double>& value) { return value ? Json::number(*value) : Json(); }

Json score_json(const TestScore& s) {
  Json j = Json::object();
  j.set("utterances", Json::integer(s.utterances));
  j.set("wer", interval_json(s.wer));
  j.set("cer", interval_json(s.cer));
  if (s.entity_accuracy) {
    Json e = interval_json(*s.entity_accuracy);
    e.set("found", Json::integer(s.entities_found));
    e.set("total", Json::integer(s.entities_total));
    j.set("entity_accuracy", e);
  } else {
    j.set("entity_accuracy", Json());
  }
  j.set("real_time_factor", optional_number(s.real_time_factor));
  j.set("tokens_per_second", optional_number(s.tokens_per_second));
  j.set("peak_memory_mib", optional_number(s.peak_memory_mib));
  return j;
}

}  // namespace

Json results_json(const Comparison& c) {
  Json root = Json::object();
  root.set("decoding", Json::string(c.decoding));
  Json tests = Json::array();
  for (const auto& t : c.tests) {
    Json j = Json::object();
    j.set("name", Json::string(t.name));
    j.set("glob", Json::string(t.glob));
    tests.push(j);
  }
  root.set("tests", tests);
  Json configs = Json::array();
  for (const auto& run : c.runs) {
    Json j = Json::object();
    j.set("name", Json::string(run.name));
    j.set("config", Json::string(run.config_path));
    j.set("run_dir", Json::string(run.run_dir));
    j.set("checkpoint", Json::string(run.checkpoint));
    j.set("checkpoint_choice", Json::string(run.checkpoint_choice));
    j.set("reused", Json::boolean(run.reused));
    j.set("steps", Json::integer(run.steps));
    j.set("train_wall_seconds", optional_number(run.train_wall_seconds));
    j.set("final_dev_loss", optional_number(run.final_dev_loss));
    Json scores = Json::object();
    for (const auto& s : run.scores) scores.set(s.test, score_json(s));
    j.set("scores", scores);
    configs.push(j);
  }
  root.set("configs", configs);
  return root;
}

}  // namespace jstip::compare
