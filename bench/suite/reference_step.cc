#include "bench/suite/reference_step.h"

#include <algorithm>
#include <chrono>

#include "host/data/feature_extractor.h"
#include "host/data/tokenizer.h"
#include "host/runtime/config_loader.h"
#include "host/train/data_mixture.h"
#include "jstip/interleaver.h"

namespace jstip::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kPlanSeed = 7;  // one fixed plan per batch: every timed step has the same shapes

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

ReferenceModel::ReferenceModel(const SuiteInputs& inputs) {
  std::vector<std::string> overrides = {"tokenizer.model=" + inputs.tokenizer};
  overrides.insert(overrides.end(), inputs.overrides.begin(), inputs.overrides.end());
  Config config = host::load_config(inputs.configs, overrides);
  torch::manual_seed(config.get_int("seed", 0));
  host::ComposeOptions options;
  options.need_interleaver = true;
  composition_ = host::compose(config, options);
  model_ = std::make_shared<graph::SpeechLLM>(composition_);
  model_->train();
  auto tokenizer = data::load_tokenizer(inputs.tokenizer);
  builder_ = std::make_unique<graph::SampleBuilder>(tokenizer, graph::PromptDefinition::from_config(composition_.config));
  ctc_units_ = std::make_unique<graph::CtcUnits>(graph::CtcUnits::from_config(composition_.config));
  // The trainer's defaults for the main stage (configs/base.yaml: trainer.*).
  ctc_weight_ = composition_.config.get_double("trainer.ctc_weight", 0.5);
  grad_clip_ = composition_.config.get_double("trainer.grad_clip", 1.0);
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      model_->parameters(), torch::optim::AdamWOptions(composition_.config.get_double("trainer.lr", 1e-3))
                                .weight_decay(composition_.config.get_double("trainer.weight_decay", 0.01)));
  shard_paths_ = train::expand_shards({inputs.shards}, "--shards");
}

std::vector<data::Batch> ReferenceModel::batches(int64_t utterances, int64_t max_frames) const {
  data::LoaderOptions options = train::loader_options(composition_.config.child("data"), 0, 0, 1);
  options.features = data::features_options(composition_.config);
  options.shuffle = false;
  if (utterances > 0) options.max_utterances_per_batch = utterances;
  if (max_frames > 0) options.max_frames_per_batch = max_frames;
  data::Loader loader(shard_paths_, options);
  loader.start_epoch(0);
  std::vector<data::Batch> out;
  for (data::Batch b; loader.next(&b);) out.push_back(b);
  if (out.empty()) throw std::runtime_error("no batch in " + shard_paths_.front());
  return out;
}

data::Batch ReferenceModel::batch(int64_t utterances, int64_t max_frames) const {
  // The first of the fullest batches.
  auto all = batches(utterances, max_frames);
  return *std::max_element(all.begin(), all.end(),
                           [](const auto& a, const auto& b) { return a.records.size() < b.records.size(); });
}

std::vector<data::Utterance> ReferenceModel::records() const {
  data::LoaderOptions options;
  options.compute_features = false;
  data::Loader index(shard_paths_, options);
  std::vector<data::Utterance> out;
  for (int64_t i = 0; i < index.num_records(); ++i) out.push_back(index.read_record(i));
  return out;
}

double ReferenceModel::step(const data::Batch& batch, train::BatchTrace* trace) {
  const auto start = Clock::now();
  std::mt19937_64 rng(kPlanSeed);
  torch::manual_seed(kPlanSeed);  // dropout
  optimizer_->zero_grad();
  train::LossMode mode;
  mode.ctc = ctc_weight_ > 0 ? ctc_units_.get() : nullptr;
  const std::string strategy = composition_.plugin_name("interleaver");
  train::BatchLoss b =
      train::batch_loss(*model_, *builder_, *composition_.interleaver, strategy, "pairs", batch, rng, mode, trace);
  torch::Tensor objective = b.loss * static_cast<double>(b.targets);
  if (b.ctc_sum.defined()) objective = objective + ctc_weight_ * b.ctc_sum;
  objective.backward();
  std::vector<torch::Tensor> trainable;
  for (auto& p : model_->parameters())
    if (p.grad().defined()) {
      p.grad().div_(std::max<int64_t>(1, b.targets));
      trainable.push_back(p);
    }
  torch::nn::utils::clip_grad_norm_(trainable, grad_clip_);
  optimizer_->step();
  return since(start);
}

double ReferenceModel::eval_objective(const data::Batch& batch, train::BatchTrace* trace) {
  torch::NoGradGuard no_grad;
  model_->eval();
  std::mt19937_64 rng(kPlanSeed);
  train::LossMode mode;
  mode.ctc = ctc_weight_ > 0 ? ctc_units_.get() : nullptr;
  const std::string strategy = composition_.plugin_name("interleaver");
  train::BatchLoss b =
      train::batch_loss(*model_, *builder_, *composition_.interleaver, strategy, "pairs", batch, rng, mode, trace);
  model_->train();
  double objective = b.loss.item<double>() * static_cast<double>(b.targets);
  if (b.ctc_sum.defined()) objective += ctc_weight_ * b.ctc_sum.item<double>();
  return objective / static_cast<double>(std::max<int64_t>(1, b.targets));
}

double ReferenceModel::plan_and_splice(const data::Batch& batch) {
  torch::NoGradGuard no_grad;
  std::mt19937_64 rng(kPlanSeed);
  const auto count = batch.records.size();
  // Speech embeddings first (not timed): splicing reads them.
  auto start = Clock::now();
  std::vector<PlanInput> inputs(count);
  std::vector<Plan> plans(count);
  std::vector<int64_t> audio_rows;
  for (size_t b = 0; b < count; ++b) {
    inputs[b] = builder_->build(batch.records[b]);
    plans[b] = composition_.interleaver->plan(inputs[b], rng);
    if (plans[b].speech_spans() > 0) audio_rows.push_back(static_cast<int64_t>(b));
  }
  double seconds = since(start);
  graph::SpeechEmbeddings speech;
  std::vector<int64_t> audio_row_of(count, -1);
  if (!audio_rows.empty()) {
    auto rows = torch::tensor(audio_rows, torch::kLong);
    auto lengths = batch.feature_lengths.index_select(0, rows);
    auto features = batch.features.index_select(0, rows).slice(1, 0, lengths.max().item<int64_t>());
    speech = model_->encode_speech(features, lengths, batch.covered_frames.index_select(0, rows));
    for (size_t i = 0; i < audio_rows.size(); ++i) audio_row_of[audio_rows[i]] = static_cast<int64_t>(i);
  }
  start = Clock::now();
  std::vector<graph::PlannedSample> samples;
  for (size_t b = 0; b < count; ++b) samples.push_back({&plans[b], &inputs[b], audio_row_of[b]});
  graph::SplicedBatch spliced = model_->splice_plans(samples, speech);
  return seconds + since(start);
}

}  // namespace jstip::bench
