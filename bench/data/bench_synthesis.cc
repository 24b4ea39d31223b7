// Synthesis speed per engine, in x real time on one core (speech with word
// timings, resampled to 16 kHz, as records), and how the engine's word
// timings agree with the audio's energy (host/data/timing_check.h).
//   build/bin/jstip_bench_data_synthesis [utterances=200] [engine...]   (default: all four)
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bench/data/bench_text.h"
#include "host/data/audio_io.h"
#include "host/data/synthesis_mix.h"
#include "host/data/timing_check.h"
#include "host/data/utterance.h"

int main(int argc, char** argv) {
  using namespace jstip::data;
  const size_t count = argc > 1 ? size_t(std::atoi(argv[1])) : 200;
  std::vector<std::string> engines;
  for (int i = 2; i < argc; ++i) engines.push_back(argv[i]);
  if (engines.empty()) engines = {"espeak-ng", "mbrola", "flite", "festival"};
  const auto texts = bench::sentences(count);
  for (const auto& engine : engines) {
    SynthesisOptions options;
    options.engines = {{engine, 1.0, jstip::Config()}};  // the engine's default voices
    SynthesisMix synth(options);
    synth.make_record("warmup", texts[0], 0);
    double audio_seconds = 0;
    int64_t words = 0;
    TimingAgreement timing;
    const auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < texts.size(); ++i) {
      const Utterance r = synth.make_record("u" + std::to_string(i), texts[i], i);
      audio_seconds += double(r.pcm16().size() / 2) / kSampleRate;
      words += r.words_size();
      std::vector<WordSpan> spans;
      for (const auto& w : r.words()) spans.push_back({w.start(), w.end()});
      timing.add(utterance_samples(r), spans);  // counted in the wall time: small next to synthesis
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-10s %zu utterances, %lld words, %.1f s of audio in %.2f s wall -> %.0fx real time\n",
                engine.c_str(), texts.size(), (long long)words, audio_seconds, wall, audio_seconds / wall);
    std::printf("%-10s timing: %s\n", engine.c_str(), timing.summary().c_str());
  }
  return 0;
}
