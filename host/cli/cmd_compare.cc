// jstip compare CONFIG... --test NAME=GLOB [--test ...] --out DIR [--reuse] [--steps N]
//               [--beam N] [--batch N] [--limit N] [key=value ...]
// Trains each composition on the same data and budget, decodes and scores
// every test set, writes DIR/results.md, results.json and PNG plots
// (host/compare/compare_runner.h).
#include <filesystem>
#include <stdexcept>

#include "host/cli/command.h"
#include "host/compare/compare_runner.h"

namespace {

// Every --test of the command line (Args keeps only the last value of an option).
std::vector<std::string> test_arguments() {
  std::vector<std::string> tests;
  const auto& raw = jstip::cli::raw_arguments();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == "--test" && i + 1 < raw.size()) {
      tests.push_back(raw[++i]);
    } else if (raw[i].rfind("--test=", 0) == 0) {
      tests.push_back(raw[i].substr(7));
    }
  }
  return tests;
}

bool has_command(const std::string& name) {
  for (const auto& c : jstip::cli::commands())
    if (c.name == name) return true;
  return false;
}

int run_compare(const jstip::cli::Args& args) {
  jstip::compare::CompareRequest request;
  for (const auto& word : args.positional) {
    const std::string ext = std::filesystem::path(word).extension().string();
    if (ext != ".yaml" && ext != ".yml")
      throw std::invalid_argument("compare: '" + word +
                                  "' is not a YAML config; quote test globs so the shell does not expand them "
                                  "(--test clean='data/test/*.shard')");
    if (!std::filesystem::exists(word)) throw std::invalid_argument("compare: config " + word + " does not exist");
    request.configs.push_back(word);
  }
  for (const auto& t : test_arguments()) request.tests.push_back(jstip::compare::parse_test_set(t));
  request.out_dir = args.get("out");
  request.overrides = args.overrides;
  request.reuse = args.flag("reuse");
  request.quiet = args.flag("quiet");
  request.steps = args.get_int("steps", 0);
  request.beam = args.get_int("beam", 0);
  request.batch = args.get_int("batch", 0);
  request.limit = args.get_int("limit", 0);
  request.threads = args.get_int("threads", 0);
  request.log_level = args.get("log-level", "");
  request.jobs = args.get_int("jobs", 1);
  if (request.jobs < 1) throw std::invalid_argument("--jobs: expected N >= 1 (configs run at the same time)");
  if (args.options.count("steps") && request.steps < 1) throw std::invalid_argument("--steps: expected N >= 1");
  if (request.configs.empty() || request.tests.empty() || request.out_dir.empty())
    throw std::invalid_argument(
        "usage: jstip compare CONFIG... --test NAME=GLOB [--test ...] --out DIR [--reuse] [--steps N] [--jobs N] "
        "[--beam N] [--limit N] [key=value ...]");
  if (!has_command("decode"))
    throw std::runtime_error("compare: this jstip has no `decode` command; it is needed to decode the test sets");
  return jstip::compare::run_comparison(request);
}

}  // namespace

JSTIP_COMMAND("compare", "Train several compositions on the same data and budget, score them, table + plots",
              "jstip compare CONFIG... --test NAME=GLOB [--test NAME=GLOB ...] --out DIR\n"
              "              [--reuse] [--steps N] [--jobs N] [--beam N] [--batch N] [--limit N] [--quiet]\n"
              "              [key=value ...]\n\n"
              "Each CONFIG (named by its file stem) is trained with output_dir=DIR/runs/<name> and the\n"
              "key=value overrides, then every test set is decoded with its best-dev-loss (else latest)\n"
              "checkpoint (jstip decode) and scored (jstip eval); train, decode and eval run as child\n"
              "processes of this binary, their output prefixed with [train NAME], [decode NAME/TEST], ...\n"
              "  --test NAME=GLOB  a test set of shards (quote the glob); repeat for several\n"
              "  --reuse           keep finished runs in DIR/runs, resume unfinished ones (default: retrain)\n"
              "  --steps N         total training steps per config (stages keep their shares); list items\n"
              "                    cannot be overridden one by one, so this rewrites trainer.stages\n"
              "  --jobs N          run N configs at the same time (each trains, then decodes; give each\n"
              "                    child threads=cores/N); after a failure no new config starts\n"
              "  --beam/--batch/--limit N   passed to jstip decode\n"
              "  --quiet           no per-step training progress lines\n"
              "Writes DIR/results.md (config x test-set tables: WER and entity accuracy with 95% CIs, RTF;\n"
              "training wall time and final dev loss), DIR/results.json and, with gnuplot (Debian package\n"
              "gnuplot-nox), DIR/loss.png, DIR/wer.png and DIR/entity_accuracy.png (scripts in DIR/plots/).\n"
              "A failing child stops compare with its exit status.",
              run_compare);
