// Synthesis speed: espeak-ng speech with word timings, in x real time on
// one core (espeak-ng is a process-wide engine; calls are serialized).
//   build-data/bin/jstip_bench_data_synthesis [utterances=200]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bench/data/bench_text.h"
#include "host/data/audio_io.h"
#include "host/data/synthesizer.h"

int main(int argc, char** argv) {
  using namespace jstip::data;
  at::set_num_threads(1);
  const size_t count = argc > 1 ? size_t(std::atoi(argv[1])) : 200;
  const auto texts = bench::sentences(count);
  Synthesizer synth;  // default voice ranges: several accents and variants
  synth.make_record("warmup", texts[0], 0);
  double audio_seconds = 0;
  int64_t words = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < texts.size(); ++i) {
    const Utterance r = synth.make_record("u" + std::to_string(i), texts[i], i);
    audio_seconds += double(r.pcm16().size() / 2) / kSampleRate;
    words += r.words_size();
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("synthesis: %zu utterances, %lld words, %.1f s of audio in %.2f s wall -> %.0fx real time (1 core, "
              "including resampling to 16 kHz and record building)\n",
              texts.size(), (long long)words, audio_seconds, wall, audio_seconds / wall);
  return 0;
}
