// jstip's fbank (host/data/fbank.h) on the suite's audio, one utterance at a
// time and as one padded batch; the Python peer times
// torchaudio.compliance.kaldi.fbank on the same audio (exported as WAV).
#pragma once

#include <string>
#include <vector>

namespace jstip::bench {

struct FbankTiming {
  double audio_seconds = 0;
  double one_by_one_seconds = 0;  // per pass over all utterances
  double batched_seconds = 0;
};

// Writes each waveform as DIR/uNNN.wav (16 kHz, 16-bit) when `wav_dir` is not empty.
FbankTiming time_fbank(const std::vector<std::vector<float>>& waves, int repeats, const std::string& wav_dir);

}  // namespace jstip::bench
