// jstip decode CHECKPOINT --data GLOB... --out DIR [--beam N] [--batch N] [--limit N]
//              [--task asr|qa] [--input speech|text] [--bias-terms FILE] [--device D] [decode.KEY=VALUE ...]
// Rebuilds the model from the checkpoint alone, decodes the records with the
// training prompt (host/decode/) and writes hyp.jsonl, ref.trn, hyp.trn and
// decode_summary.json into DIR (docs/decoding.md).
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "host/cli/command.h"
#include "host/data/feature_extractor.h"
#include "host/data/tokenizer.h"
#include "host/decode/batch_decoder.h"
#include "host/decode/decode_job.h"
#include "host/decode/decode_model.h"
#include "host/decode/decode_options.h"
#include "host/decode/decode_outputs.h"
#include "host/decode/decode_prompt.h"
#include "host/decode/resource_usage.h"
#include "host/graph/ctc_units.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/startup.h"
#include "host/train/data_mixture.h"
#include "jstip/json.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;
using namespace jstip::decode;

const char* kUsage =
    "jstip decode CHECKPOINT --data GLOB... --out DIR [--beam N] [--batch N] [--limit N]\n"
    "             [--task asr|qa] [--input speech|text] [--bias-terms FILE] [--device cpu|cuda[:N]]\n"
    "             [decode.KEY=VALUE ...] [--quiet]\n\n"
    "CHECKPOINT: a run folder or checkpoints folder (the best checkpoint by dev loss, else the\n"
    "newest) or one step folder. The model, tokenizer and prompt come from its config.yaml.\n"
    "  --beam N          beam size (decode.beam; 1 = greedy)\n"
    "  --batch N         records per batch (decode.batch_size)\n"
    "  --limit N         decode only the first N records\n"
    "  --task qa         prompt with prompt.qa_text; records carry metadata \"answers\" (a|b)\n"
    "  --input text      the transcript's tokens replace the speech (modality-gap comparison)\n"
    "  --bias-terms F    one domain term per line, appended to the prompt as \" terms: a, b\"\n"
    "  decode.KEY=VALUE  length_penalty, max_tokens_base, max_tokens_per_second, max_tokens_cap,\n"
    "                    repeat_ngram, repeat_max, device, search (any other config key overrides too)\n"
    "  decode.search=ctc the encoder's CTC head alone, greedy: what the encoder hears without the LLM\n"
    "Writes DIR/hyp.jsonl (for `jstip eval --hyp`), DIR/ref.trn, DIR/hyp.trn, DIR/decode_summary.json.";

std::vector<std::string> data_patterns(const cli::Args& args) {
  std::vector<std::string> patterns;
  if (!args.get("data").empty()) patterns.push_back(args.get("data"));
  // The shell expands `--data dir/*.shard` into several words: the rest arrive as positionals.
  for (size_t i = 1; i < args.positional.size(); ++i) patterns.push_back(args.positional[i]);
  return patterns;
}

Json options_json(const SearchOptions& s, int64_t batch_size, int64_t encoder_frames_per_call) {
  Json j = Json::object();
  j.set("search", Json::string(s.ctc_head_only ? "ctc" : "llm"));
  j.set("beam", Json::integer(s.beam));
  j.set("batch_size", Json::integer(batch_size));
  j.set("encoder_frames_per_call", Json::integer(encoder_frames_per_call));  // resolved; 0: one call per batch
  j.set("length_penalty", Json::number(s.length_penalty));
  j.set("max_tokens_base", Json::integer(s.max_tokens_base));
  j.set("max_tokens_per_second", Json::number(s.max_tokens_per_second));
  j.set("max_tokens_cap", Json::integer(s.max_tokens_cap));
  j.set("repeat_ngram", Json::integer(s.repeat_ngram));
  j.set("repeat_max", Json::integer(s.repeat_max));
  j.set("ctc_weight", Json::number(s.ctc_weight));
  j.set("ctc_pre_beam", Json::integer(s.ctc_pre_beam));
  return j;
}

int run_decode(const cli::Args& args) {
  const std::vector<std::string> patterns = data_patterns(args);
  if (args.positional.empty() || patterns.empty() || args.get("out").empty())
    throw std::invalid_argument(std::string("usage: ") + kUsage);
  const std::string out_dir = args.get("out");
  const DecodeTask task = parse_task(args.get("task", "asr"));
  const DecodeInput input = parse_input(args.get("input", "speech"));
  std::vector<std::string> bias_terms;
  if (args.flag("bias-terms")) bias_terms = read_bias_terms(args.get("bias-terms"));

  const std::string folder = resolve_decode_checkpoint(args.positional[0]);
  const Config config = load_checkpoint_config(folder, args.overrides);
  if (!args.options.count("threads") && config.has("threads"))
    host::init_threads(static_cast<int>(config.get_int("threads")));
  DecodeSettings settings = decode_settings_from_config(config);
  settings.search.beam = args.get_int("beam", settings.search.beam);
  settings.batch_size = args.get_int("batch", settings.batch_size);
  settings.device = args.get("device", settings.device);
  if (settings.search.beam < 1) throw std::invalid_argument("--beam must be >= 1");
  const torch::Device device = parse_device(settings.device);
  if (settings.search.ctc_weight > 0 && (task != DecodeTask::Asr || input != DecodeInput::Speech)) {
    // The CTC head scores a transcript of the speech: an answer, or text input, has none to follow.
    spdlog::info("decode.ctc_weight applies to transcribing speech (--task asr --input speech); "
                 "this run decodes with the LLM alone");
    settings.search.ctc_weight = 0;
  }
  // Both read the CTC head's unit ids as token ids (written as text, or scored against the LLM's tokens).
  if ((settings.search.ctc_head_only || settings.search.ctc_weight > 0) &&
      graph::CtcUnits::from_config(config).kind() != graph::CtcUnits::Kind::Pieces)
    throw ConfigError(config.where("trainer.ctc_units") + ": " +
                      (settings.search.ctc_head_only ? "decode.search: ctc" : "decode.ctc_weight > 0") +
                      " reads the CTC head's units as the tokenizer's pieces, which needs trainer.ctc_units: pieces "
                      "(characters are no token ids and carry no word boundaries)");

  DecodeModel loaded = load_decode_model(folder, config, device);
  const Config& resolved = loaded.composition.config;
  DecodePrompt prompt(resolved, loaded.tokenizer, *loaded.composition.registry, task, input, bias_terms);
  // The checkpoint's own `features` section (its config.yaml), as in training.
  const data::FeatureOptions features = data::features_options(resolved);
  BatchDecoder decoder(*loaded.model, prompt, *loaded.tokenizer, settings.search, features, device,
                       settings.encoder_frames_per_call);

  DecodeJobOptions job;
  job.shards = train::expand_shards(patterns, "--data");
  job.limit = args.get_int("limit", -1);
  job.batch_size = settings.batch_size;
  spdlog::info("decoding with {} ({}, batch {}, {}, task {}, input {}); prompt \"{}\"", folder,
               settings.search.ctc_head_only ? std::string("the CTC head alone")
               : "beam " + std::to_string(settings.search.beam) +
                     (settings.search.ctc_weight > 0 ? fmt::format(", CTC weight {}", settings.search.ctc_weight) : ""),
               settings.batch_size, device.str(), args.get("task", "asr"),
               args.get("input", "speech"), prompt.text());
  reset_cuda_peak(device);
  const bool quiet = args.flag("quiet");
  DecodeJobResult result = run_decode_job(decoder, job, [&](int64_t done, int64_t total) {
    if (!quiet) spdlog::debug("decoded {}/{}", done, total);
  });

  fs::create_directories(out_dir);
  write_hypothesis_file((fs::path(out_dir) / "hyp.jsonl").string(), result.utterances);
  write_trn_files(out_dir, result.utterances, task);

  const DecodeTotals totals = totals_of(result.utterances);
  const double rtf = totals.audio_seconds > 0 ? result.wall_seconds / totals.audio_seconds : 0;
  const double tokens_per_second = result.wall_seconds > 0 ? totals.output_tokens / result.wall_seconds : 0;
  const int64_t rss = peak_rss_bytes(), cuda_peak = cuda_peak_bytes(device);
  Json summary = Json::object();
  summary.set("checkpoint", Json::string(folder));
  summary.set("task", Json::string(args.get("task", "asr")));
  summary.set("input", Json::string(args.get("input", "speech")));
  summary.set("prompt", Json::string(prompt.text()));
  summary.set("bias_terms", Json::integer(static_cast<int64_t>(bias_terms.size())));
  summary.set("device", Json::string(device.str()));
  summary.set("threads", Json::integer(torch::get_num_threads()));
  summary.set("options", options_json(decoder.options(), settings.batch_size, decoder.encoder_frames_per_call()));
  summary.set("features", decoder.features().options_json());
  summary.set("utterances", Json::integer(totals.utterances));
  summary.set("batches", Json::integer(result.batches));
  summary.set("audio_seconds", Json::number(totals.audio_seconds));
  summary.set("wall_seconds", Json::number(result.wall_seconds));
  summary.set("real_time_factor", Json::number(rtf));
  summary.set("output_tokens", Json::integer(totals.output_tokens));
  summary.set("tokens_per_second", Json::number(tokens_per_second));
  summary.set("stopped_by_length", Json::integer(totals.stopped_by_length));
  summary.set("peak_rss_bytes", Json::integer(rss));
  if (cuda_peak >= 0) summary.set("cuda_peak_bytes", Json::integer(cuda_peak));
  write_json_file((fs::path(out_dir) / "decode_summary.json").string(), summary);

  std::printf("decoded %lld utterances (%.1f s audio) in %.2f s: RTF %.3f, %.1f tokens/s, %lld hit the length "
              "limit, peak RSS %.0f MiB%s -> %s\n",
              static_cast<long long>(totals.utterances), totals.audio_seconds, result.wall_seconds, rtf,
              tokens_per_second, static_cast<long long>(totals.stopped_by_length), rss / 1048576.0,
              cuda_peak >= 0 ? (", CUDA peak " + std::to_string(cuda_peak / 1048576) + " MiB").c_str() : "",
              out_dir.c_str());
  return 0;
}

}  // namespace

JSTIP_COMMAND("decode", "Decode shards with a checkpoint: greedy/beam search, hyp.jsonl, trn files, RTF", kUsage,
              run_decode);
