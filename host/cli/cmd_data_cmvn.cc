// jstip data cmvn SHARD... --out FILE [--config FILE] [features.KEY=VALUE ...]:
// global CMVN statistics of a corpus, of the features a config names.
#include <iostream>

#include "host/cli/command.h"
#include "host/data/cmvn.h"
#include "host/data/feature_extractor.h"
#include "host/data/loader.h"
#include "host/data/progress_bar.h"
#include "host/runtime/config_loader.h"

namespace {

using namespace jstip::data;

const char* kUsage =
    "jstip data cmvn SHARD|DIR... --out cmvn.txt [--config FILE] [features.KEY=VALUE ...] [--skip-bad]\n"
    "  --config FILE   take the features from its `features` section (default: kaldi_fbank, 80 bins)\n"
    "  features.KEY=V  override them, e.g. features.type=whisper_mel features.num_bins=128";

int run_cmvn(const jstip::cli::Args& args) {
  if (args.positional.empty() || !args.options.count("out")) throw std::invalid_argument(std::string("usage: ") + kUsage);
  for (const auto& o : args.overrides)
    if (o.rfind("features.", 0) != 0)
      throw std::invalid_argument("jstip data cmvn takes only features.KEY=VALUE overrides, got '" + o + "'");
  std::vector<std::string> files;
  if (args.flag("config")) files.push_back(args.get("config"));
  const jstip::Config config = jstip::host::load_config(files, args.overrides);
  LoaderOptions options;
  options.shuffle = false;
  options.skip_bad_records = args.flag("skip-bad");
  options.features = features_options(config);
  Loader loader(expand_shard_paths(args.positional), options);
  const auto plan = loader.plan_epoch(0);
  ProgressBar progress("cmvn", int64_t(plan.size()), !args.flag("no-progress"));
  GlobalCmvn cmvn;
  loader.start_epoch(0);
  Batch batch;
  int64_t done = 0;
  while (loader.next(&batch)) {
    cmvn.accumulate(batch.features, batch.feature_lengths);
    progress.update(++done);
  }
  progress.finish();
  cmvn.finalize();
  cmvn.save(args.get("out"));
  std::cout << "wrote " << args.get("out") << ": " << cmvn.frames() << " frames of " << loader.features().name() << " ("
            << loader.features().num_bins() << " bins) from " << loader.num_records() << " records\n";
  return 0;
}

}  // namespace

JSTIP_COMMAND("data cmvn", "Compute global CMVN statistics (feature mean / inverse std) over shards", kUsage, run_cmvn);
