// Acoustic front ends behind one interface, picked by the config's top-level
// `features` section (absent: kaldi_fbank with FbankOptions' defaults):
//
//   features:
//     type: kaldi_fbank      # Kaldi fbank (fbank.h): num_bins, frame_length_ms, frame_shift_ms,
//                            # preemphasis, remove_dc_offset, low_freq, high_freq, dither
//   features:
//     type: whisper_mel      # openai-whisper's log-mel (whisper_mel.h): num_bins (80 | 128), pad_30s
//
// The loader, the batch decoder, the aligner, `jstip data cmvn` and
// `jstip features` all compute features through this, so a checkpoint's
// config.yaml (which holds the section) fixes the features it decodes with.
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>

#include "host/data/fbank.h"
#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip::data {

enum class FeatureType { KaldiFbank, WhisperMel };

std::string feature_type_name(FeatureType type);  // "kaldi_fbank", "whisper_mel"

struct WhisperMelOptions {
  int64_t num_bins = 80;  // 80, or 128 (large-v3)
  // Pad the audio with 30 s of zeros before the STFT and keep the first 3000
  // frames: log_mel_spectrogram(audio, padding=480000) then pad_or_trim(..., 3000),
  // the input Whisper's encoder was trained on.
  bool pad_30s = false;
};

struct FeatureOptions {
  FeatureType type = FeatureType::KaldiFbank;
  FbankOptions kaldi_fbank;  // read when type is KaldiFbank
  WhisperMelOptions whisper_mel;  // read when type is WhisperMel
};

// A batch's features. Frame t is at t * frame_shift_seconds(): kaldi_fbank's
// window starts there, whisper_mel's is centred there.
struct FeatureBatch {
  torch::Tensor features;  // (B, T, bins) float32, zero beyond each row's `lengths`
  // (B) int64: the frames of each row the encoder reads. whisper_mel with
  // pad_30s: 3000 for every row with audio (30 s of features, the audio then
  // zeros), 0 for a row of no samples (text-only).
  torch::Tensor lengths;
  // (B) int64: of those, the frames that cover the row's audio, <= lengths.
  // Equal to `lengths` except whisper_mel with pad_30s, where it is
  // min(N // 160, 3000) for N samples: an encoder that reads all 3000 frames
  // (Whisper's) keeps its output frames [0, ceil(covered / downsampling))
  // as the speech of the row and drops the rest (padding).
  torch::Tensor covered;
};

class FeatureExtractor {
 public:
  virtual ~FeatureExtractor() = default;

  // waveforms (B, N) float in [-1, 1] at 16 kHz, lengths (B) samples (int, any
  // device; samples beyond a row's length are ignored). Rows are independent
  // (whisper_mel: each row's clamp uses its own maximum). Thread-safe.
  virtual FeatureBatch compute(const torch::Tensor& waveforms, const torch::Tensor& lengths) const = 0;
  // One utterance (N) -> (num_frames(N), bins).
  torch::Tensor compute(const torch::Tensor& waveform) const;

  virtual int64_t num_frames(int64_t num_samples) const = 0;  // FeatureBatch::lengths of N samples
  virtual int64_t covered_frames(int64_t num_samples) const { return num_frames(num_samples); }  // FeatureBatch::covered
  virtual int64_t num_bins() const = 0;
  // The longest input whose audio all reaches the features (whisper_mel with
  // pad_30s: 30 s; beyond, the window keeps the first 30 s); 0: no limit.
  virtual int64_t max_samples() const { return 0; }
  // Throws std::invalid_argument naming `what` (a record, a file) when
  // `num_samples` is past max_samples(): the rest of its transcript would have no speech.
  void check_fits(int64_t num_samples, const std::string& what) const;
  virtual double frame_shift_seconds() const = 0;
  virtual std::string name() const = 0;  // feature_type_name of its type
  // Whether the speech-LLM normalizes these features per utterance by default
  // (data.feature_norm): kaldi_fbank yes; whisper_mel no (Whisper's encoder
  // reads them as they are).
  virtual bool wants_utterance_norm() const = 0;
  // Its type and every option, resolved: {"type": "whisper_mel", "num_bins": 80, ...}.
  virtual Json options_json() const = 0;
};

// Throws std::invalid_argument for options out of range.
std::unique_ptr<FeatureExtractor> make_feature_extractor(const FeatureOptions& options);

// The `features` section of a whole config (absent: the defaults). Errors are
// ConfigErrors naming file:line and the key: a type other than kaldi_fbank or
// whisper_mel, a key the type does not take, a value out of range.
FeatureOptions features_options(const Config& config);
// The same from the section itself (a map with `type`).
FeatureOptions features_section_options(const Config& section);

}  // namespace jstip::data
