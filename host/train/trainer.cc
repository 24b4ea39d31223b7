#include "host/train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <sstream>

#include "host/data/tokenizer.h"
#include "host/data/tokenizer_fingerprint.h"
#include "host/graph/ctc_loss.h"
#include "host/graph/ctc_units.h"
#include "host/graph/sample_builder.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "host/train/autocast.h"
#include "host/train/batch_loss.h"
#include "host/train/checkpoint.h"
#include "host/train/checkpoint_sources.h"
#include "host/train/data_mixture.h"
#include "host/train/distributed.h"
#include "host/train/encoder_cache.h"
#include "host/train/metrics_log.h"
#include "host/train/tensorboard_writer.h"
#include "host/train/stage_setup.h"
#include "host/train/train_options.h"
#include "jstip/encoder.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"
#include "jstip/projector.h"

namespace fs = std::filesystem;

namespace jstip::train {
namespace {

using Clock = std::chrono::steady_clock;

// ---- RNG states as text, for trainer_state.json --------------------------------

std::string to_text(const std::mt19937_64& rng) {
  std::ostringstream out;
  out << rng;
  return out.str();
}

void from_text(std::mt19937_64& rng, const std::string& text) {
  std::istringstream in(text);
  in >> rng;
  if (!in) throw std::runtime_error("trainer_state.json: unreadable RNG state");
}

// JSON has no NaN/inf: such values are logged as null.
Json finite_or_null(double value) { return std::isfinite(value) ? Json::number(value) : Json(); }

// ---- state that survives a resume ------------------------------------------------

struct RunState {
  int64_t step = 0;        // optimizer steps taken (global)
  int64_t stage = 0;       // index into options.stages
  int64_t stage_step = 0;  // steps taken in the current stage
  double best_dev_loss = std::numeric_limits<double>::infinity();
  std::string best_checkpoint;
};

Json state_json(const RunState& s, const std::mt19937_64& rng_data, const DataMixture& mixture, double dev_loss) {
  Json j = Json::object();
  j.set("step", Json::integer(s.step));
  j.set("stage", Json::integer(s.stage));
  j.set("stage_step", Json::integer(s.stage_step));
  j.set("rng_data", Json::string(to_text(rng_data)));
  j.set("data_positions", mixture.positions());
  if (std::isfinite(s.best_dev_loss)) j.set("best_dev_loss", Json::number(s.best_dev_loss));
  j.set("best_checkpoint", Json::string(s.best_checkpoint));
  if (dev_loss >= 0) j.set("dev_loss", Json::number(dev_loss));
  return j;
}

// New LoRA adapters join the optimizer as a parameter group with the same options.
void add_to_optimizer(torch::optim::AdamW& optimizer, const std::vector<torch::Tensor>& adapters) {
  if (adapters.empty()) return;
  auto options = std::make_unique<torch::optim::AdamWOptions>(
      static_cast<const torch::optim::AdamWOptions&>(optimizer.param_groups()[0].options()));
  optimizer.add_param_group(torch::optim::OptimizerParamGroup(adapters, std::move(options)));
}

// Dev loss: the LLM's on ASR samples (or the CTC head's when no stage trains
// the LLM). The LLM's is also measured with every utterance's speech swapped
// for its neighbour's in the batch: the gap says how much the LLM reads the
// speech (0 = it predicts transcripts from its text prior alone).
struct DevLoss {
  double loss = -1;
  double mismatched = -1;  // -1: not measured
};

DevLoss dev_loss(graph::SpeechLLM& model, const graph::SampleBuilder& builder, const Interleaver& asr,
                 data::Loader& loader, int64_t max_batches, LossMode mode) {
  torch::NoGradGuard no_grad;
  model.eval();
  const EncoderCacheStats cache_before = mode.encoder_cache ? mode.encoder_cache->stats() : EncoderCacheStats{};
  const int64_t encoder_runs_before = model.encoder_runs();
  std::mt19937_64 rng(0);
  double sum = 0, mismatched_sum = 0;
  int64_t targets = 0, mismatched_targets = 0;
  loader.start_epoch(0);
  data::Batch batch;
  for (int64_t i = 0; i < max_batches && loader.next(&batch); ++i) {
    BatchLoss b = batch_loss(model, builder, asr, "asr", "dev", batch, rng, mode);
    sum += b.loss.item<double>() * static_cast<double>(b.targets);
    targets += b.targets;
    if (!mode.llm || batch.records.size() < 2) continue;
    data::Batch swapped = batch;
    swapped.features = batch.features.roll(1, 0);
    swapped.feature_lengths = batch.feature_lengths.roll(1, 0);
    if (batch.covered_frames.defined()) swapped.covered_frames = batch.covered_frames.roll(1, 0);
    // The rows' record identities move with their features (the encoder cache reads by them).
    if (!swapped.shards.empty()) std::rotate(swapped.shards.begin(), swapped.shards.end() - 1, swapped.shards.end());
    if (!swapped.record_indices.empty())
      std::rotate(swapped.record_indices.begin(), swapped.record_indices.end() - 1, swapped.record_indices.end());
    BatchLoss m = batch_loss(model, builder, asr, "asr", "dev", swapped, rng, mode);
    mismatched_sum += m.loss.item<double>() * static_cast<double>(m.targets);
    mismatched_targets += m.targets;
  }
  while (loader.next(&batch)) {
  }  // drain, so the loader is idle
  model.train();
  if (mode.encoder_cache) {
    const EncoderCacheStats counts = mode.encoder_cache->stats() - cache_before;
    spdlog::info("encoder cache (dev): {} hits, {} misses, {} encoder calls", counts.hits, counts.misses,
                 model.encoder_runs() - encoder_runs_before);
  }
  DevLoss out;
  if (targets > 0) out.loss = sum / static_cast<double>(targets);
  if (mismatched_targets > 0) out.mismatched = mismatched_sum / static_cast<double>(mismatched_targets);
  return out;
}

// The stage's source weights; a CTC-only stage (llm_weight 0) learns from
// speech alone, so by default it draws only the sources whose samples have audio.
std::map<std::string, double> stage_source_weights(const StageOptions& stage, DataMixture& mixture) {
  if (stage.llm_weight > 0 || !stage.source_weights.empty()) return stage.source_weights;
  std::map<std::string, double> weights;
  std::string names;
  for (const auto& source : mixture.sources())
    if (source.interleaver->needs_audio()) {
      weights[source.name] = source.weight;
      names += (names.empty() ? "" : ", ") + source.name;
    }
  if (weights.empty())
    throw ConfigError("stage '" + stage.name + "': llm_weight 0 trains the CTC head alone, but no data source has "
                      "speech (every source's strategy is text-only)");
  spdlog::info("stage '{}': CTC only; drawing the sources with speech: {}", stage.name, names);
  return weights;
}

// cpu, or the CUDA device of this rank (LOCAL_RANK, as torchrun sets it).
torch::Device training_device(const std::string& name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (!torch::cuda::is_available())
    throw ConfigError("device: '" + name + "' asked for, but this LibTorch has no CUDA or sees no GPU");
  torch::Device device(name);
  const char* local_rank = std::getenv("LOCAL_RANK");
  if (!device.has_index() && local_rank) device.set_index(static_cast<c10::DeviceIndex>(std::atoi(local_rank)));
  return device;
}

}  // namespace

TrainSummary train(const TrainRequest& request) {
  TrainOptions options = parse_train_options(request.config);
  const torch::Device device = training_device(options.device);
  auto dist = Distributed::from_environment(std::chrono::seconds(options.dist_timeout_seconds), device.is_cuda());
  const bool lead = dist->rank() == 0;  // only rank 0 writes checkpoints and logs
  torch::manual_seed(options.seed);     // before the plugins initialize their weights
  host::ComposeOptions compose_options;
  compose_options.need_interleaver = request.config.has("interleaver");
  host::Composition composition = host::compose(request.config, compose_options);
  const Config& config = composition.config;  // resolved: embedded in every checkpoint

  auto model = std::make_shared<graph::SpeechLLM>(composition);
  model->to(device);
  apply_slot_training_options(*model, config);

  const std::string tokenizer_path = config.get_string("tokenizer.model", "");
  if (tokenizer_path.empty()) throw ConfigError(config.where() + ": set tokenizer.model (a sentencepiece .model, a tokenizer.json or a .gguf)");
  auto tokenizer = data::load_tokenizer(tokenizer_path);
  if (tokenizer->vocab_size() > model->llm().vocab_size())
    throw ConfigError(config.where("llm") + ": tokenizer " + tokenizer_path + " has " +
                      std::to_string(tokenizer->vocab_size()) + " pieces but llm.vocab_size is " +
                      std::to_string(model->llm().vocab_size()));
  const data::TokenizerFingerprint tokenizer_fingerprint =
      data::fingerprint_tokenizer(tokenizer_path, tokenizer->vocab_size());
  // What each checkpoint carries besides its weights (checkpoint_sources.h): the tokenizer copy, the
  // pretrained files and their weights' hashes as loaded, the config with their sizes. Rank 0 saves.
  const CheckpointSources sources =
      lead ? prepare_checkpoint_sources(*model, config, options.output_dir) : CheckpointSources{config};
  graph::SampleBuilder builder(tokenizer, graph::PromptDefinition::from_config(config));
  const graph::CtcUnits ctc_units = graph::CtcUnits::from_config(config);
  // The dev loss is the LLM's, or the CTC head's in a run that never trains the LLM (a CTC aligner).
  LossMode dev_mode;
  dev_mode.llm = std::any_of(options.stages.begin(), options.stages.end(), [](const auto& s) { return s.llm_weight > 0; });
  dev_mode.ctc = dev_mode.llm ? nullptr : &ctc_units;
  DataMixture mixture(config, *composition.registry, composition.interleaver, composition.plugin_name("interleaver"),
                      dist->rank(), dist->world_size());
  {
    std::vector<torch::Tensor> state_tensors = model->parameters();
    for (auto& b : model->buffers()) state_tensors.push_back(b);
    dist->broadcast_from_rank0(state_tensors);  // identical start on every rank
  }
  auto dev_asr = composition.registry->create_as<Interleaver>(
      "asr", "interleaver", Config(host::parse_yaml("type: asr\n", "dev strategy"), "interleaver"));

  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(options.stages[0].schedule.peak));
  RunState state;
  // Source draws are the same on every rank (all ranks take the same source
  // each step). Planning and dropout randomness are derived from (seed, step,
  // rank) at every step, so a resume needs no per-rank RNG state.
  std::mt19937_64 rng_data(options.seed);

  const fs::path run_dir(options.output_dir);
  const std::string checkpoint_root = (run_dir / "checkpoints").string();
  fs::create_directories(run_dir);
  bool resumed_mid_stage = false;
  if (!request.resume_from.empty()) {
    std::string folder = resolve_checkpoint(request.resume_from);
    if (folder.empty()) throw std::runtime_error(request.resume_from + ": no checkpoint to resume from");
    // Rebuild the parameter set and trainability the run had at that step
    // (stage LoRA adapters, freezes) before loading weights into it.
    add_to_optimizer(optimizer, enter_stages_of_checkpoint(*model, options, read_json_file(folder + "/trainer_state.json"),
                                                           &resumed_mid_stage));
    CheckpointContent content = load_checkpoint(folder, *model, &optimizer);
    const Json& s = content.trainer_state;
    data::check_tokenizer_fingerprint(s, folder, tokenizer_fingerprint, tokenizer_path);
    state.step = s.get_int("step", 0);
    state.stage = s.get_int("stage", 0);
    state.stage_step = s.get_int("stage_step", 0);
    state.best_dev_loss = s.get_double("best_dev_loss", state.best_dev_loss);
    // Where the run is now (it may have moved), so that pruning keeps it.
    state.best_checkpoint = train::find_best_checkpoint(s.get_string("best_checkpoint", ""), folder);
    from_text(rng_data, s.get_string("rng_data", ""));
    if (const Json* positions = s.find("data_positions")) mixture.restore(*positions);
    spdlog::info("resumed from {} at step {}", folder, state.step);
  } else if (lead) {
    std::ofstream(run_dir / "config.yaml") << host::dump_yaml(sources.config.node());
  }

  TrainSummary summary;
  MetricsLog log(lead ? (run_dir / "metrics.jsonl").string() : "/dev/null", options.total_steps(),
                 lead && !request.quiet);
  std::unique_ptr<TensorBoardWriter> tensorboard;
  if (lead) tensorboard = std::make_unique<TensorBoardWriter>((run_dir / "tb").string());
  const std::string config_yaml = host::dump_yaml(sources.config.node());
  model->train();
  double data_wait = 0, total_time = 0;

  // Data-parallel safety net: every rank must end with the same weights.
  auto check_ranks_agree = [&] {
    if (!dist->active()) return;
    double checksum = 0;
    for (const auto& p : model->parameters()) checksum += p.detach().to(torch::kDouble).sum().item<double>();
    const double spread = dist->spread(checksum);
    if (spread != 0) throw std::runtime_error("ranks diverged: parameter checksums differ by " + std::to_string(spread));
    spdlog::info("rank {}: parameters identical on all {} ranks (checksum {:.6f})", dist->rank(), dist->world_size(), checksum);
  };

  // trainer_state.json: the run's state plus the tokenizer's fingerprint (checked on resume, decode, align).
  auto checkpoint_state = [&](double dev) {
    Json j = state_json(state, rng_data, mixture, dev);
    j.set("tokenizer", data::fingerprint_json(tokenizer_fingerprint, tokenizer_path));
    return j;
  };
  auto save = [&](double dev) {
    if (!lead) return;
    const std::string folder = save_checkpoint(checkpoint_root, state.step, *model, &optimizer,
                                               {checkpoint_state(dev), config_yaml, &sources});
    if (dev >= 0 && dev < state.best_dev_loss) {
      state.best_dev_loss = dev;
      state.best_checkpoint = folder;
      // Record the new best inside the checkpoint itself, too.
      write_json_file(folder + "/trainer_state.json", checkpoint_state(dev));
    }
    prune_checkpoints(checkpoint_root, options.keep_last, state.best_checkpoint);
    summary.last_checkpoint = folder;
  };

  std::shared_ptr<EncoderCache> encoder_cache;  // while the encoder is frozen (encoder_cache.h)
  EncoderCacheEpochLog cache_epochs;
  for (; state.stage < static_cast<int64_t>(options.stages.size()); ++state.stage, state.stage_step = 0) {
    const StageOptions& stage = options.stages[state.stage];
    if (!resumed_mid_stage) add_to_optimizer(optimizer, enter_stage(*model, stage));
    resumed_mid_stage = false;
    for (auto& group : optimizer.param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).weight_decay(stage.weight_decay);
    const std::map<std::string, double> source_weights = stage_source_weights(stage, mixture);
    LossMode loss_mode;
    loss_mode.llm = stage.llm_weight > 0;
    loss_mode.ctc = stage.ctc_weight > 0 ? &ctc_units : nullptr;
    const StageEncoderCache stage_cache = encoder_cache_for_stage(*model, config, stage.name, encoder_cache);
    encoder_cache = stage_cache.cache;
    loss_mode.encoder_cache = stage_cache.for_training ? encoder_cache.get() : nullptr;
    dev_mode.encoder_cache = encoder_cache.get();

    while (state.stage_step < stage.steps) {
      if (request.stop_after >= 0 && state.step >= request.stop_after) {
        log.finish();
        cache_epochs.finish();
        summary.encoder_cache_epochs = cache_epochs.epochs();
        check_ranks_agree();
        summary.steps = state.step;
        return summary;
      }
      const auto step_start = Clock::now();
      const double lr = stage.schedule.at(state.stage_step);
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

      double loss_sum = 0;  // summed over this rank's target tokens
      int64_t targets = 0, positions = 0;
      double ctc_sum = 0;  // this rank's summed CTC loss (logged per target token)
      int64_t ctc_targets = 0;
      std::map<std::string, std::pair<double, int64_t>> by_strategy;
      std::string source_names;
      bool finite = true;
      optimizer.zero_grad();
      for (int64_t micro = 0; micro < stage.accumulate; ++micro) {
        // One index per micro-batch of the global step, the same whether the
        // step's micro-batches run on N ranks or are accumulated in one process.
        const auto slot = static_cast<uint64_t>(micro * dist->world_size() + dist->rank());
        std::seed_seq step_seed{options.seed, static_cast<uint64_t>(state.step), slot};
        std::mt19937_64 rng_plan(step_seed);
        torch::manual_seed(rng_plan());  // dropout
        data::Batch batch;
        const auto wait_start = Clock::now();
        DataSource& source = mixture.next(rng_data, source_weights, &batch);
        data_wait += std::chrono::duration<double>(Clock::now() - wait_start).count();
        BatchLoss b;
        const EncoderCacheStats cache_before = loss_mode.encoder_cache ? loss_mode.encoder_cache->stats() : EncoderCacheStats{};
        const int64_t encoder_runs_before = model->encoder_runs();
        {
          AutocastScope autocast(options.precision == "bf16", device.is_cuda());
          b = batch_loss(*model, builder, *source.interleaver, source.strategy, source.name, batch, rng_plan,
                         loss_mode);
        }
        if (loss_mode.encoder_cache)
          cache_epochs.add(source.name, source.epoch, loss_mode.encoder_cache->stats() - cache_before,
                           model->encoder_runs() - encoder_runs_before);
        // Gradients of *summed* token losses, divided once by the number of
        // targets in the whole step (all micro-batches, all ranks): every
        // target token weighs the same, so N ranks x 1 micro-batch equals
        // 1 process x N accumulated micro-batches.
        // A non-finite loss on any rank skips the step on all of them; the
        // ranks learn it from the one collective after the micro-batches.
        const double value = b.loss.item<double>();
        const double ctc_value = b.ctc_sum.defined() ? b.ctc_sum.item<double>() : 0.0;
        finite = finite && std::isfinite(value) && std::isfinite(ctc_value);
        if (finite) {
          torch::Tensor objective = torch::zeros({});
          if (loss_mode.llm) objective = stage.llm_weight * b.loss * static_cast<double>(b.targets);
          if (b.ctc_sum.defined()) objective = objective + stage.ctc_weight * b.ctc_sum;
          if (objective.requires_grad()) objective.backward();  // a CTC-only batch without audio has nothing to learn
        }
        ctc_sum += ctc_value;
        ctc_targets += b.ctc_targets;
        // CTC alone: its summed loss as is (the mean's float rounding would
        // make the logged loss differ from ctc_loss in the last digits).
        loss_sum += loss_mode.llm ? value * static_cast<double>(b.targets) : ctc_value;
        targets += b.targets;
        positions += b.positions;
        source_names += (micro ? "," : "") + source.name;
        for (const auto& [name, entry] : b.by_strategy) {
          by_strategy[name].first += entry.first;
          by_strategy[name].second += entry.second;
        }
      }

      std::vector<torch::Tensor> trainable;
      // A CTC-only stage (llm_weight 0) trains the encoder alone: the other slots
      // get no zero gradients, which AdamW's momentum and weight decay would apply.
      for (auto& p : loss_mode.llm ? model->parameters() : model->named_children()["encoder"]->parameters())
        if (p.requires_grad()) {
          // A rank whose batch left a slot unused still joins the collective.
          if (!p.grad().defined() && dist->active()) p.mutable_grad() = torch::zeros_like(p);
          if (p.grad().defined()) trainable.push_back(p);
        }
      // One collective per step: non-finite ranks, target tokens, summed losses.
      // (In a CTC-only stage the targets and the loss are the CTC head's.)
      const auto totals = dist->sum({finite ? 0.0 : 1.0, static_cast<double>(targets), loss_sum, ctc_sum,
                                     static_cast<double>(ctc_targets)});
      finite = totals[0] == 0.0;
      const double all_targets = totals[1];
      const double step_loss = totals[2] / std::max(1.0, all_targets);
      targets = static_cast<int64_t>(all_targets);
      ctc_sum = totals[3];
      ctc_targets = static_cast<int64_t>(totals[4]);
      if (finite) {
        dist->sum_gradients(trainable);
        torch::NoGradGuard no_grad;
        for (auto& p : trainable) p.grad().div_(std::max(1.0, all_targets));
      }
      double grad_norm = 0;
      if (finite && !trainable.empty())
        grad_norm = torch::nn::utils::clip_grad_norm_(
            trainable, stage.grad_clip > 0 ? stage.grad_clip : std::numeric_limits<double>::max());
      if (finite && std::isfinite(grad_norm)) {
        optimizer.step();
        summary.losses.push_back(step_loss);
      } else {
        ++summary.skipped_steps;
        spdlog::warn("step {}: non-finite {}; step skipped, weights unchanged", state.step + 1,
                     finite ? "gradient norm" : "loss");
      }
      optimizer.zero_grad();
      ++state.step;
      ++state.stage_step;
      const double seconds = std::chrono::duration<double>(Clock::now() - step_start).count();
      total_time += seconds;

      if (state.step % options.log_every == 0 || state.stage_step == stage.steps) {
        Json record = Json::object();
        record.set("step", Json::integer(state.step));
        record.set("stage", Json::string(stage.name));
        const bool applied = finite && std::isfinite(grad_norm);
        record.set("loss", applied ? finite_or_null(step_loss) : Json());
        record.set("skipped", Json::boolean(!applied));
        record.set("lr", Json::number(lr));
        record.set("grad_norm", finite_or_null(grad_norm));
        record.set("targets", Json::integer(targets));
        record.set("positions_per_s", Json::number(positions / std::max(seconds, 1e-9)));
        record.set("step_seconds", Json::number(seconds));
        record.set("data_wait_share", Json::number(total_time > 0 ? data_wait / total_time : 0));
        record.set("sources", Json::string(source_names));
        Json strategies = Json::object();
        for (const auto& [name, entry] : by_strategy)
          if (entry.second > 0) strategies.set(name, finite_or_null(entry.first / static_cast<double>(entry.second)));
        record.set("strategy_loss", strategies);
        if (ctc_targets > 0) record.set("ctc_loss", finite_or_null(ctc_sum / static_cast<double>(ctc_targets)));
        log.write(record);
        std::map<std::string, double> scalars = {{"train/loss", step_loss},
                                                 {"train/lr", lr},
                                                 {"train/grad_norm", grad_norm},
                                                 {"train/positions_per_s", positions / std::max(seconds, 1e-9)}};
        if (ctc_targets > 0) scalars["train/ctc_loss"] = ctc_sum / static_cast<double>(ctc_targets);
        for (const auto& [name, entry] : by_strategy)
          if (entry.second > 0) scalars["strategy_loss/" + name] = entry.first / static_cast<double>(entry.second);
        if (tensorboard) tensorboard->scalars(state.step, scalars);
      }
      log.progress(stage.name, state.step, step_loss, lr);

      const bool stage_end = state.stage_step == stage.steps;
      double dev = -1;
      if (lead && mixture.dev_loader() && (stage_end || (options.eval_every > 0 && state.step % options.eval_every == 0))) {
        const DevLoss measured =
            dev_loss(*model, builder, *dev_asr, *mixture.dev_loader(), options.max_dev_batches, dev_mode);
        dev = measured.loss;
        summary.last_dev_loss = dev;
        Json record = Json::object();
        record.set("step", Json::integer(state.step));
        record.set("dev_loss", finite_or_null(dev));
        std::map<std::string, double> scalars = {{"dev/loss", dev}};
        if (measured.mismatched >= 0) {
          record.set("dev_loss_mismatched_speech", finite_or_null(measured.mismatched));
          scalars["dev/loss_mismatched_speech"] = measured.mismatched;
        }
        log.write(record);
        tensorboard->scalars(state.step, scalars);
      }
      if (stage_end || state.step % options.save_every == 0) {
        // A checkpoint at a stage end resumes into the next stage.
        if (stage_end) {
          ++state.stage;
          state.stage_step = 0;
        }
        save(dev);
        if (stage_end) {
          --state.stage;
          state.stage_step = stage.steps;
        }
      }
    }
  }
  log.finish();
  cache_epochs.finish();
  summary.encoder_cache_epochs = cache_epochs.epochs();
  check_ranks_agree();
  if (lead && !options.export_llm.empty()) {
    model->llm().save_pretrained(options.export_llm);
    spdlog::info("llm saved in Hugging Face layout to {}", options.export_llm);
  }
  summary.steps = state.step;
  summary.data_wait_share = total_time > 0 ? data_wait / total_time : 0;
  return summary;
}

}  // namespace jstip::train
