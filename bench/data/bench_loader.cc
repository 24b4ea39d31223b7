// Loader throughput (utterances/s: shard read + PCM decode + batched fbank
// on the background thread) and the wait share of a trainer whose step takes
// a fixed time.
//   build-data/bin/jstip_bench_data_loader [utterances=600] [step_ms=20] [workers=1]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "bench/data/bench_text.h"
#include "host/data/loader.h"
#include "host/data/synthesis_mix.h"
#include "host/runtime/startup.h"

int main(int argc, char** argv) {
  using namespace jstip::data;
  at::set_num_threads(1);
  jstip::host::tune_allocator();  // as every jstip command at start-up (the loader runs inside jstip train)
  const size_t count = argc > 1 ? size_t(std::atoi(argv[1])) : 600;
  const int step_ms = argc > 2 ? std::atoi(argv[2]) : 20;
  const int workers = argc > 3 ? std::atoi(argv[3]) : 1;
  const std::string dir = (std::filesystem::temp_directory_path() / "jstip-bench-loader").string();
  std::filesystem::remove_all(dir);
  {
    SynthesisMix synth(SynthesisOptions{});  // espeak-ng with its defaults
    ShardSetWriter writer(dir, "bench", 200);
    const auto texts = bench::sentences(count);
    for (size_t i = 0; i < texts.size(); ++i) writer.write(synth.make_record("u" + std::to_string(i), texts[i], i));
    writer.close();
  }
  LoaderOptions options;
  options.max_frames_per_batch = 8000;
  options.prefetch_batches = 8;
  options.num_workers = workers;
  Loader loader(expand_shard_paths({dir}), options);

  auto run_epoch = [&](int64_t epoch, int sleep_ms) {
    loader.start_epoch(epoch);
    Batch batch;
    int64_t frames = 0;
    const auto start = std::chrono::steady_clock::now();
    while (loader.next(&batch)) {
      frames += batch.feature_lengths.sum().item<int64_t>();
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::make_pair(wall, frames);
  };
  run_epoch(0, 0);  // warm caches
  const auto [wall, frames] = run_epoch(1, 0);
  const auto stats = loader.stats();
  std::printf("loader (%d worker(s)): %lld utterances, %lld batches, %.1f s of audio: %.0f utt/s, %.0f s audio/s (no training step)\n",
              workers, (long long)stats.utterances, (long long)stats.batches, frames / 100.0, stats.utterances / wall,
              frames / 100.0 / wall);
  run_epoch(2, step_ms);
  const auto busy = loader.stats();
  std::printf("loader: with a %d ms training step per batch: wait share %.2f%% (%.3f s waiting of %.2f s)\n", step_ms,
              100 * busy.wait_share(), busy.wait_seconds, busy.total_seconds);
  std::filesystem::remove_all(dir);
  return 0;
}
