// jstip data cmvn SHARD... --out FILE: global CMVN statistics of a corpus.
#include <iostream>

#include "host/cli/command.h"
#include "host/data/cmvn.h"
#include "host/data/loader.h"
#include "host/data/progress_bar.h"

namespace {

using namespace jstip::data;

int run_cmvn(const jstip::cli::Args& args) {
  if (args.positional.empty() || !args.options.count("out"))
    throw std::invalid_argument("usage: jstip data cmvn SHARD|DIR... --out FILE");
  LoaderOptions options;
  options.shuffle = false;
  options.skip_bad_records = args.flag("skip-bad");
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
  std::cout << "wrote " << args.get("out") << ": " << cmvn.frames() << " frames from " << loader.num_records()
            << " records\n";
  return 0;
}

}  // namespace

JSTIP_COMMAND("data cmvn", "Compute global CMVN statistics (fbank mean / inverse std) over shards",
              "jstip data cmvn SHARD|DIR... --out cmvn.txt [--skip-bad]", run_cmvn);
