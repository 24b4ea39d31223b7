// Kaldi-compatible log-mel filterbank features (the same numbers as
// torchaudio.compliance.kaldi.fbank with its defaults and snip_edges), as
// tensor math on chunks of frames. Per frame Kaldi removes the DC offset,
// pre-emphasizes, windows, takes |rfft|^2 (FFTW, real_fft.h) and the mel bank; here the
// pre-emphasis is one pass over the samples (frames overlap 2.5x), the
// windowed frames are written straight into the zero-padded FFT buffer, and
// the mel bank, which is mostly zeros, is applied in a few bands of bins
// (fbank.cc).
#pragma once

#include <torch/types.h>

#include <utility>
#include <vector>

#include "host/data/real_fft.h"

namespace jstip::data {

struct FbankOptions {
  int64_t num_bins = 80;
  double sample_rate = 16000;
  double frame_length_ms = 25;
  double frame_shift_ms = 10;
  double preemphasis = 0.97;
  bool remove_dc_offset = true;
  double low_freq = 20;    // Hz
  double high_freq = 0;    // Hz; <= 0 means offset from Nyquist
  double dither = 0;       // Kaldi's default is 1; off keeps features reproducible
  // Kaldi works on int16-scaled samples; inputs in [-1, 1] are scaled up.
  bool scale_to_int16 = true;
};

class Fbank {
 public:
  explicit Fbank(FbankOptions options = {});

  // waveforms (B, N) float, lengths (B) samples -> features (B, T, bins)
  // zero beyond each utterance's frames, and frame counts (B) int64.
  std::pair<torch::Tensor, torch::Tensor> compute(const torch::Tensor& waveforms, const torch::Tensor& lengths) const;
  // One utterance (N) -> (T, bins).
  torch::Tensor compute(const torch::Tensor& waveform) const;

  int64_t num_frames(int64_t num_samples) const;  // snip_edges: only whole frames
  int64_t window_size() const { return window_size_; }
  int64_t window_shift() const { return window_shift_; }
  const FbankOptions& options() const { return options_; }
  const torch::Tensor& mel_banks() const { return mel_banks_; }  // (bins, fft/2 + 1)

 private:
  // The mel bank's nonzero block for a band of FFT bins: out[:, first_bin..) += power[:, bins] @ weights.
  struct MelBand {
    int64_t first_bin, num_bins, first_filter, num_filters;
    torch::Tensor weights;  // (num_bins, num_filters)
  };
  static std::vector<MelBand> make_mel_bands(const torch::Tensor& mel_banks);
  static int64_t fft_size_for(int64_t window_size);  // the window rounded up to a power of two
  // `frames` frames of scaled samples (from `samples`' start) -> log-mel rows of `out` (frames, bins), zeros on entry.
  void chunk_features(const torch::Tensor& samples, int64_t frames, torch::Tensor out) const;
  FbankOptions options_;
  int64_t window_size_, window_shift_;  // in samples
  RealFft fft_;                         // of the window rounded up to a power of two
  torch::Tensor window_, mel_banks_;
  std::vector<MelBand> mel_bands_;
};

}  // namespace jstip::data
