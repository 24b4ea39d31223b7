// Fbank speed, ours vs torchaudio.compliance.kaldi.fbank, on the same audio
// in one run (the torchaudio side runs scripts/bench_fbank_torchaudio.py).
//   build-data/bin/jstip_bench_data_fbank [threads=1]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "bench/data/bench_text.h"
#include "host/data/audio_io.h"
#include "host/data/fbank.h"
#include "host/data/synthesis_mix.h"
#include "host/runtime/startup.h"

int main(int argc, char** argv) {
  using namespace jstip::data;
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  at::set_num_threads(threads);
  // As every jstip command at start-up: without it each per-utterance buffer
  // is a fresh mmap and its page faults outweigh the FFT.
  jstip::host::tune_allocator();
  // 32 real utterances of espeak-ng speech, written to WAV files for both sides.
  const std::string dir = (std::filesystem::temp_directory_path() / "jstip-bench-fbank").string();
  std::filesystem::create_directories(dir);
  SynthesisOptions options;
  options.seed = 1;
  SynthesisMix synth(options);
  std::vector<std::vector<float>> waves;
  std::string list;
  double seconds = 0;
  const auto texts = bench::sentences(32);
  for (size_t i = 0; i < texts.size(); ++i) {
    waves.push_back(synth.synthesize(texts[i], i).speech.samples);
    const std::string path = dir + "/u" + std::to_string(i) + ".wav";
    write_audio(path, waves.back(), kSampleRate);
    list += " " + path;
    seconds += double(waves.back().size()) / kSampleRate;
  }
  Fbank fbank;
  const int repeats = 20;
  auto time = [&](auto&& fn) {
    fn();  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
  };
  const double one_by_one = time([&] {
    for (auto& w : waves) fbank.compute(torch::from_blob(w.data(), {int64_t(w.size())}, torch::kFloat32));
  });
  size_t longest = 0;
  for (auto& w : waves) longest = std::max(longest, w.size());
  auto batch = torch::zeros({int64_t(waves.size()), int64_t(longest)});
  auto lengths = torch::zeros({int64_t(waves.size())}, torch::kInt64);
  for (size_t i = 0; i < waves.size(); ++i) {
    batch[int64_t(i)].narrow(0, 0, int64_t(waves[i].size()))
        .copy_(torch::from_blob(waves[i].data(), {int64_t(waves[i].size())}, torch::kFloat32));
    lengths[int64_t(i)] = int64_t(waves[i].size());
  }
  const double batched = time([&] { fbank.compute(batch, lengths); });
  std::printf("audio: %zu utterances, %.1f s, %d thread(s)\n", waves.size(), seconds, threads);
  std::printf("jstip fbank, one by one : %.2f ms -> %.0fx real time\n", one_by_one * 1e3, seconds / one_by_one);
  std::printf("jstip fbank, one batch  : %.2f ms -> %.0fx real time (padded batch of %zu)\n", batched * 1e3,
              seconds / batched, waves.size());
  std::fflush(stdout);
  const std::string command = "OMP_NUM_THREADS=" + std::to_string(threads) + " /usr/bin/python3 " +
                              std::string(JSTIP_SOURCE_DIR) + "/scripts/bench_fbank_torchaudio.py " +
                              std::to_string(repeats) + list;
  const int rc = std::system(command.c_str());
  std::filesystem::remove_all(dir);
  return rc == 0 ? 0 : 1;
}
