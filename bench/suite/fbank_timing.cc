#include "bench/suite/fbank_timing.h"

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "host/data/audio_io.h"
#include "host/data/fbank.h"

namespace jstip::bench {

FbankTiming time_fbank(const std::vector<std::vector<float>>& waves, int repeats, const std::string& wav_dir) {
  using data::kSampleRate;
  FbankTiming out;
  if (!wav_dir.empty()) std::filesystem::create_directories(wav_dir);
  for (size_t i = 0; i < waves.size(); ++i) {
    out.audio_seconds += double(waves[i].size()) / kSampleRate;
    if (wav_dir.empty()) continue;
    char name[32];
    std::snprintf(name, sizeof(name), "/u%03zu.wav", i);
    data::write_audio(wav_dir + name, waves[i], kSampleRate);
  }
  data::Fbank fbank;
  auto time = [&](auto&& fn) {
    fn();  // warm-up
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r) fn();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
  };
  out.one_by_one_seconds = time([&] {
    for (const auto& w : waves)
      fbank.compute(torch::from_blob(const_cast<float*>(w.data()), {int64_t(w.size())}, torch::kFloat32));
  });
  size_t longest = 0;
  for (const auto& w : waves) longest = std::max(longest, w.size());
  auto batch = torch::zeros({int64_t(waves.size()), int64_t(longest)});
  auto lengths = torch::zeros({int64_t(waves.size())}, torch::kInt64);
  for (size_t i = 0; i < waves.size(); ++i) {
    batch[int64_t(i)].narrow(0, 0, int64_t(waves[i].size()))
        .copy_(torch::from_blob(const_cast<float*>(waves[i].data()), {int64_t(waves[i].size())}, torch::kFloat32));
    lengths[int64_t(i)] = int64_t(waves[i].size());
  }
  out.batched_seconds = time([&] { fbank.compute(batch, lengths); });
  return out;
}

}  // namespace jstip::bench
