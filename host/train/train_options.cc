#include "host/train/train_options.h"

#include <set>

#include "host/runtime/config_loader.h"

namespace jstip::train {
namespace {

const std::set<std::string> kTrainerKeys = {"lr", "min_lr_ratio", "warmup_steps", "schedule", "weight_decay",
                                            "grad_clip", "accumulate", "log_every", "save_every", "keep_last",
                                            "eval_every", "max_dev_batches", "dist_timeout_s", "precision",
                                            "export_llm", "ctc_weight", "ctc_units", "llm_weight", "stages",
                                            "encoder_cache"};
const std::set<std::string> kStageKeys = {"name", "steps", "lr", "min_lr_ratio", "warmup_steps", "schedule",
                                          "weight_decay", "grad_clip", "accumulate", "ctc_weight", "llm_weight",
                                          "sources", "freeze", "lora"};
const std::set<std::string> kLoraKeys = {"target", "rank", "alpha", "dropout"};

void check_slot(const Config& stage, const std::string& key, const std::string& slot) {
  if (slot != "encoder" && slot != "projector" && slot != "llm")
    throw ConfigError(stage.where(key + "." + slot) + ": " + key + " takes encoder, projector or llm, not '" + slot + "'");
}

void check_keys(const Config& section, const std::set<std::string>& allowed, const std::string& what) {
  std::vector<std::string> candidates(allowed.begin(), allowed.end());
  for (const auto& key : section.keys()) {
    if (allowed.count(key)) continue;
    std::string suggestion = host::closest_match(key, candidates);
    throw ConfigError(section.where(key) + ": unknown " + what + " key '" + key + "'" +
                      (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  }
}

// A stage's value, else the trainer's, else the default.
template <typename T, typename Get>
T layered(const Config& stage, const Config& trainer, const std::string& key, T fallback, Get get) {
  if (stage.has(key)) return get(stage, key);
  if (trainer.has(key)) return get(trainer, key);
  return fallback;
}

}  // namespace

int64_t TrainOptions::total_steps() const {
  int64_t total = 0;
  for (const auto& s : stages) total += s.steps;
  return total;
}

TrainOptions parse_train_options(const Config& config) {
  TrainOptions options;
  options.seed = static_cast<uint64_t>(config.get_int("seed", 0));
  options.output_dir = config.get_string("output_dir", options.output_dir);
  options.device = config.get_string("device", options.device);
  if (options.device != "cpu" && options.device.rfind("cuda", 0) != 0)
    throw ConfigError(config.where("device") + ": device must be cpu, cuda or cuda:N, not '" + options.device + "'");
  if (!config.has("trainer")) throw ConfigError(config.where() + ": missing section 'trainer'");
  Config trainer = config.child("trainer");
  check_keys(trainer, kTrainerKeys, "trainer");
  options.log_every = trainer.get_int("log_every", options.log_every);
  options.save_every = trainer.get_int("save_every", options.save_every);
  options.keep_last = trainer.get_int("keep_last", options.keep_last);
  options.eval_every = trainer.get_int("eval_every", options.eval_every);
  options.max_dev_batches = trainer.get_int("max_dev_batches", options.max_dev_batches);
  options.dist_timeout_seconds = trainer.get_int("dist_timeout_s", options.dist_timeout_seconds);
  options.precision = trainer.get_string("precision", options.precision);
  options.export_llm = trainer.get_string("export_llm", options.export_llm);
  if (options.precision != "fp32" && options.precision != "bf16")
    throw ConfigError(trainer.where("precision") + ": precision must be fp32 or bf16, not '" + options.precision + "'");
  if (!trainer.has("stages")) throw ConfigError(trainer.where() + ": trainer needs 'stages' (a list)");

  auto get_double = [](const Config& c, const std::string& k) { return c.get_double(k); };
  auto get_int = [](const Config& c, const std::string& k) { return c.get_int(k); };
  auto get_string = [](const Config& c, const std::string& k) { return c.get_string(k); };
  for (const Config& stage : trainer.list("stages")) {
    check_keys(stage, kStageKeys, "stage");
    StageOptions s;
    s.name = stage.get_string("name", "stage" + std::to_string(options.stages.size() + 1));
    s.steps = stage.get_int("steps");
    if (s.steps < 1) throw ConfigError(stage.where("steps") + ": stage '" + s.name + "': steps must be >= 1");
    s.schedule.peak = layered(stage, trainer, "lr", 1e-3, get_double);
    s.schedule.min_ratio = layered(stage, trainer, "min_lr_ratio", 0.1, get_double);
    s.schedule.warmup_steps = layered<int64_t>(stage, trainer, "warmup_steps", 0, get_int);
    s.schedule.decay = layered<std::string>(stage, trainer, "schedule", "cosine", get_string);
    s.schedule.total_steps = s.steps;
    s.weight_decay = layered(stage, trainer, "weight_decay", 0.01, get_double);
    s.grad_clip = layered(stage, trainer, "grad_clip", 1.0, get_double);
    s.accumulate = layered<int64_t>(stage, trainer, "accumulate", 1, get_int);
    s.ctc_weight = layered(stage, trainer, "ctc_weight", 0.0, get_double);
    s.llm_weight = layered(stage, trainer, "llm_weight", 1.0, get_double);
    try {
      s.schedule.check();
      if (s.accumulate < 1) throw std::invalid_argument("accumulate must be >= 1");
      if (s.ctc_weight < 0 || s.llm_weight < 0) throw std::invalid_argument("ctc_weight and llm_weight must be >= 0");
      if (s.ctc_weight == 0 && s.llm_weight == 0)
        throw std::invalid_argument("llm_weight 0 needs ctc_weight > 0 (a stage must train something)");
    } catch (const std::invalid_argument& e) {
      throw ConfigError(stage.where() + ": stage '" + s.name + "': " + e.what());
    }
    if (stage.has("sources"))
      for (const auto& source : stage.child("sources").keys())
        s.source_weights[source] = stage.get_double("sources." + source);
    if (stage.has("freeze"))
      for (const auto& slot : stage.child("freeze").keys()) {
        check_slot(stage, "freeze", slot);
        s.freeze[slot] = stage.get_bool("freeze." + slot);
      }
    if (stage.has("lora"))
      for (const auto& slot : stage.child("lora").keys()) {
        check_slot(stage, "lora", slot);
        Config lora = stage.child("lora").child(slot);
        check_keys(lora, kLoraKeys, "lora");
        if (!lora.has("target"))
          throw ConfigError(lora.where() + ": stage '" + s.name + "': lora." + slot +
                            " needs `target: <regex of Linear module names>`");
        StageLora spec;
        spec.target = lora.get_string("target");
        spec.rank = lora.get_int("rank", spec.rank);
        spec.alpha = lora.get_double("alpha", spec.alpha);
        spec.dropout = lora.get_double("dropout", spec.dropout);
        if (spec.rank < 1) throw ConfigError(lora.where("rank") + ": lora rank must be >= 1");
        s.lora[slot] = spec;
      }
    options.stages.push_back(s);
  }
  return options;
}

}  // namespace jstip::train
