// jstip train CONFIG... [key=value ...] [--resume RUN_OR_CHECKPOINT] [--stop-after STEP]
#include <spdlog/spdlog.h>

#include <iostream>

#include "host/cli/command.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/startup.h"
#include "host/train/checkpoint.h"
#include "host/train/distributed.h"
#include "host/train/trainer.h"

namespace {

// `--nproc N`: re-run this command as N ranks (without --nproc).
int launch(const jstip::cli::Args& args) {
  std::vector<std::string> argv;
  const auto& raw = jstip::cli::raw_arguments();
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == "--nproc") {
      ++i;
      continue;
    }
    if (raw[i].rfind("--nproc=", 0) == 0) continue;
    argv.push_back(raw[i]);
  }
  return jstip::train::launch_local_ranks(static_cast<int>(args.get_int("nproc", 1)), argv);
}

int run_train(const jstip::cli::Args& args) {
  if (args.get_int("nproc", 1) > 1) return launch(args);
  jstip::train::TrainRequest request;
  request.resume_from = args.get("resume");
  if (args.positional.empty() && request.resume_from.empty())
    throw std::invalid_argument("usage: jstip train CONFIG... [key=value ...] [--resume DIR]");
  if (args.positional.empty()) {
    // Resume with the config embedded in the checkpoint (plus overrides).
    std::string folder = jstip::train::resolve_checkpoint(request.resume_from);
    if (folder.empty()) throw std::runtime_error(request.resume_from + ": no checkpoint to resume from");
    request.config = jstip::host::load_config({folder + "/config.yaml"}, args.overrides);
  } else {
    request.config = jstip::host::load_config(args.positional, args.overrides);
  }
  if (!args.options.count("threads") && request.config.has("threads"))
    jstip::host::init_threads(static_cast<int>(request.config.get_int("threads")));
  request.stop_after = args.get_int("stop-after", -1);
  request.quiet = args.flag("quiet");
  auto summary = jstip::train::train(request);
  spdlog::info("trained to step {} ({} skipped), last loss {:.4f}{}; checkpoint {}; data wait {:.1f}% of step time",
               summary.steps, summary.skipped_steps, summary.losses.empty() ? 0.0 : summary.losses.back(),
               summary.last_dev_loss >= 0 ? ", dev loss " + std::to_string(summary.last_dev_loss) : "",
               summary.last_checkpoint, 100 * summary.data_wait_share);
  return 0;
}

}  // namespace

JSTIP_COMMAND("train", "Train a composition (stages, checkpoints, exact resume)",
              "jstip train CONFIG... [key.path=value ...] [--resume RUN_DIR|CHECKPOINT] [--stop-after STEP] [--quiet]\n"
              "            [--nproc N]\n\n"
              "Data parallel: --nproc N runs N ranks on this machine (c10d/Gloo); under torchrun or\n"
              "SLURM, RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT select the rank.\n"
              "Writes <output_dir>/config.yaml, metrics.jsonl and checkpoints/step-N/ (weights, optimizer,\n"
              "trainer state, resolved config). --resume continues exactly where the checkpoint left off;\n"
              "given without CONFIG it uses the config stored in the checkpoint.",
              run_train);
