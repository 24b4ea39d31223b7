// openai-whisper's log-mel spectrogram (whisper/audio.py, log_mel_spectrogram),
// the input of every Whisper encoder:
//   16 kHz; a periodic Hann window of 400 samples every 160 (10 ms); a centred
//   STFT (200 samples of reflect padding at each end); |X|^2 with the last
//   frame dropped, so N samples give N // 160 frames; Slaney mel filters
//   (librosa.filters.mel(sr=16000, n_fft=400, n_mels), computed here);
//   log10(max(x, 1e-10)); clamped to (max - 8), the max over all the
//   utterance's frames; then (x + 4) / 4.
// With pad_30s the audio first gets 480000 zeros (log_mel_spectrogram(audio,
// padding=480000)), the clamp's max is taken over all those frames, and the
// first 3000 are kept (pad_or_trim): 30 s of features for audio up to 30 s,
// the first 30 s for longer audio.
// All in float32, with the FFT from real_fft.h (FFTW).
#pragma once

#include <torch/types.h>

#include "host/data/feature_extractor.h"
#include "host/data/real_fft.h"

namespace jstip::data {

constexpr int64_t kWhisperFftSize = 400;       // N_FFT
constexpr int64_t kWhisperHop = 160;           // HOP_LENGTH
constexpr int64_t kWhisperChunkSamples = 480000;  // N_SAMPLES: 30 s
constexpr int64_t kWhisperChunkFrames = 3000;     // N_FRAMES

// librosa.filters.mel(sr, n_fft, n_mels) with its defaults (fmin 0, fmax
// sr / 2, htk=False, norm='slaney'): (n_mels, n_fft / 2 + 1) float32, computed
// in float64 and rounded where librosa rounds (the triangles to float32, then
// the Slaney scaling), so it equals whisper/assets/mel_filters.npz.
torch::Tensor slaney_mel_filters(double sample_rate, int64_t fft_size, int64_t num_mels);

class WhisperMel final : public FeatureExtractor {
 public:
  // Throws std::invalid_argument unless num_bins is 80 or 128.
  explicit WhisperMel(WhisperMelOptions options = {});

  using FeatureExtractor::compute;
  FeatureBatch compute(const torch::Tensor& waveforms, const torch::Tensor& lengths) const override;

  // Without pad_30s: N // 160, or 0 below 201 samples (torch.stft cannot
  // reflect-pad 200 samples of less). With pad_30s: 3000 (0 for no samples
  // at all: a text-only row of a batch stays empty).
  int64_t num_frames(int64_t num_samples) const override;
  // min(N // 160, num_frames(N)).
  int64_t covered_frames(int64_t num_samples) const override;
  int64_t num_bins() const override { return options_.num_bins; }
  int64_t max_samples() const override { return options_.pad_30s ? kWhisperChunkSamples : 0; }
  double frame_shift_seconds() const override { return double(kWhisperHop) / 16000.0; }
  std::string name() const override { return "whisper_mel"; }
  bool wants_utterance_norm() const override { return false; }
  Json options_json() const override;

  const WhisperMelOptions& options() const { return options_; }
  const torch::Tensor& mel_filters() const { return filters_; }  // (bins, 201)

 private:
  // One utterance's samples (N) -> log-mel rows of `out` (num_frames(N), bins).
  void utterance_features(const torch::Tensor& samples, torch::Tensor out) const;
  // `mel` (frames, bins) <- mel power of the frames [first, first + frames) of the centred signal.
  void mel_power(const torch::Tensor& signal, int64_t first, torch::Tensor mel) const;

  WhisperMelOptions options_;
  RealFft fft_;
  torch::Tensor window_;     // (400) periodic Hann
  torch::Tensor filters_;    // (bins, 201)
  torch::Tensor filters_t_;  // (201, bins), contiguous
};

}  // namespace jstip::data
