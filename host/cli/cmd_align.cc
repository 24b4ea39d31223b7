// jstip align CHECKPOINT --data SHARD|DIR... --out DIR [--batch N] [--device D] [align.KEY=VALUE ...]
// Forced alignment with the checkpoint's encoder CTC head: word timings and
// confidences into new shards, poor alignments dropped or flagged, counts
// in DIR/align_summary.json (docs/alignment.md).
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "host/align/align_job.h"
#include "host/align/align_options.h"
#include "host/align/aligner.h"
#include "host/cli/command.h"
#include "host/data/feature_extractor.h"
#include "host/data/shard_file.h"
#include "host/decode/decode_model.h"
#include "host/graph/ctc_units.h"
#include "host/graph/sample_builder.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/startup.h"
#include "host/train/data_mixture.h"
#include "jstip/json.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;

const char* kUsage =
    "jstip align CHECKPOINT --data SHARD|DIR... --out DIR [--batch N] [--device cpu|cuda[:N]]\n"
    "            [align.KEY=VALUE ...]\n\n"
    "CHECKPOINT: a run, checkpoints or step folder whose encoder has a CTC head (encoder.ctc_vocab,\n"
    "trained with trainer.ctc_weight; trainer.ctc_units says pieces or chars).\n"
    "  --data      input shards or folders of shards (records with or without word timings)\n"
    "  --out DIR   one output shard per input shard, same name; DIR/align_summary.json\n"
    "  align.min_score=S   mean log posterior per frame below S is a poor alignment (default -1)\n"
    "  align.boundaries=spikes|gaps   word spans at the CTC spikes, or split the blanks between words\n"
    "  align.poor=drop|flag   drop poor and failed records (default), or keep them marked\n"
    "                      (metadata align_poor=1 / align_error)\n"
    "  --batch N   records per encoder batch (align.batch_size)";

int run_align(const cli::Args& args) {
  std::vector<std::string> patterns;
  if (!args.get("data").empty()) patterns.push_back(args.get("data"));
  for (size_t i = 1; i < args.positional.size(); ++i) patterns.push_back(args.positional[i]);
  if (args.positional.empty() || patterns.empty() || args.get("out").empty())
    throw std::invalid_argument(std::string("usage: ") + kUsage);
  const std::string out_dir = args.get("out");

  const std::string folder = decode::resolve_decode_checkpoint(args.positional[0]);
  const Config config = decode::load_checkpoint_config(folder, args.overrides);
  if (!args.options.count("threads") && config.has("threads"))
    host::init_threads(static_cast<int>(config.get_int("threads")));
  align::AlignSettings settings = align::align_settings_from_config(config);
  settings.batch_size = args.get_int("batch", settings.batch_size);
  settings.device = args.get("device", settings.device);
  if (settings.batch_size < 1) throw std::invalid_argument("--batch must be >= 1");
  const torch::Device device = decode::parse_device(settings.device);

  decode::DecodeModel loaded = decode::load_decode_model(folder, config, device);
  const Config& resolved = loaded.composition.config;
  const graph::CtcUnits units = graph::CtcUnits::from_config(resolved);
  graph::SampleBuilder builder(loaded.tokenizer, graph::PromptDefinition::from_config(resolved));
  // The checkpoint's own `features` section (its config.yaml), as in training.
  const data::FeatureOptions features = data::features_options(resolved);
  align::Aligner aligner(*loaded.model, builder, units, features, device, settings.boundaries);
  const char* boundaries = settings.boundaries == align::Boundaries::Gaps ? "gaps" : "spikes";
  // Globs first, then folders to the shards in them.
  const std::vector<std::string> shards = data::expand_shard_paths(train::expand_shards(patterns, "--data"));
  spdlog::info("aligning {} shard(s) with {} ({} units, {:.0f} ms frames, {} boundaries, min_score {}, poor records {})",
               shards.size(), folder, units.name(), aligner.frame_seconds() * 1000, boundaries, settings.min_score,
               settings.drop_poor ? "dropped" : "flagged");

  const bool quiet = args.flag("quiet");
  const align::AlignCounts counts = align::run_align_job(aligner, shards, out_dir, settings, [&](int64_t done) {
    if (!quiet) spdlog::debug("aligned {} records", done);
  });
  for (const auto& line : counts.examples) spdlog::warn("{}", line);

  const int64_t scored = counts.aligned + counts.poor;
  Json summary = Json::object();
  summary.set("checkpoint", Json::string(folder));
  summary.set("units", Json::string(units.name()));
  summary.set("frame_seconds", Json::number(aligner.frame_seconds()));
  summary.set("boundaries", Json::string(boundaries));
  summary.set("min_score", Json::number(settings.min_score));
  summary.set("poor", Json::string(settings.drop_poor ? "drop" : "flag"));
  summary.set("records", Json::integer(counts.records));
  summary.set("aligned", Json::integer(counts.aligned));
  summary.set("poor_records", Json::integer(counts.poor));
  summary.set("failed", Json::integer(counts.failed));
  summary.set("text_only", Json::integer(counts.text_only));
  summary.set("written", Json::integer(counts.written));
  if (scored > 0) summary.set("mean_score", Json::number(counts.score_sum / static_cast<double>(scored)));
  write_json_file((fs::path(out_dir) / "align_summary.json").string(), summary);
  std::printf("aligned %lld of %lld records (%lld poor, %lld failed, %lld text-only; %s); wrote %lld -> %s\n",
              static_cast<long long>(counts.aligned), static_cast<long long>(counts.records),
              static_cast<long long>(counts.poor), static_cast<long long>(counts.failed),
              static_cast<long long>(counts.text_only), settings.drop_poor ? "poor and failed dropped" : "flagged",
              static_cast<long long>(counts.written), out_dir.c_str());
  if (counts.records > counts.text_only && scored == 0)
    throw std::runtime_error("no record could be aligned (see the warnings above)");
  return 0;
}

}  // namespace

JSTIP_COMMAND("align", "Forced alignment with an encoder CTC head: word timings into new shards", kUsage, run_align);
