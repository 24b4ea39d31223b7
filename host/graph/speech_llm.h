// The composed speech-LLM: encoder -> projector -> (spliced with text
// embeddings by a plan) -> LLM. One torch module holding the three slots, so
// parameters are named "encoder.*", "projector.*", "llm.*" in checkpoints.
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <memory>
#include <optional>

#include "host/data/spec_augment.h"
#include "host/graph/plan_executor.h"
#include "jstip/config.h"
#include "jstip/encoder.h"

namespace jstip {
class SpeechEncoder;
class Projector;
class LanguageModel;
}  // namespace jstip

namespace jstip::host {
struct Composition;
}

namespace jstip::graph {

struct SpeechEmbeddings {
  torch::Tensor embeddings;  // [B, T'', H] projected speech
  torch::Tensor lengths;     // [B] int64
  torch::Tensor ctc_logits;       // [B, T', V] encoder CTC head output; undefined without a head
  torch::Tensor encoder_lengths;  // [B] int64 valid frames of ctc_logits
  torch::Tensor runs_before;      // [B, T'+1] int64 with speech.compress: ctc (see ctc_compression.h), else undefined
};

struct LossResult {
  torch::Tensor loss;     // mean cross-entropy over target tokens (scalar)
  int64_t targets = 0;    // number of target tokens
  torch::Tensor logits;   // [B, L, V]
  std::vector<double> row_loss_sums;    // summed loss of each row's targets (for per-strategy logs)
  std::vector<int64_t> row_targets;
};

class SpeechLLM : public torch::nn::Module {
 public:
  explicit SpeechLLM(const host::Composition& composition, double frame_shift_seconds = 0.01);

  // Runs encoder and projector once over the padded features of a batch:
  // project_encoded(run_encoder(...)).
  SpeechEmbeddings encode_speech(const torch::Tensor& features, const torch::Tensor& feature_lengths,
                                 const torch::Tensor& covered_frames = {});

  // The encoder part. Features are first normalized per utterance (mean 0,
  // variance 1 per bin over the frames the encoder reads; config
  // `data.feature_norm: utterance` or `none`), in training and decoding
  // alike; in training mode `speech.spec_augment` then masks frequency bands
  // and stretches of time (host/data/spec_augment.h).
  // With `features.pad_30s` every row with audio is a whole 30 s window: the
  // encoder reads all features.size(1) frames (as Whisper was trained) and
  // only the output frames covering the audio are kept, ceil(covered /
  // downsampling) of them (covered_frames: Batch::covered_frames; undefined:
  // feature_lengths). The output is cut to its longest row and is zero
  // beyond each row's length, hidden and CTC logits alike, so it does not
  // depend on how a batch was padded (the encoder cache stores rows alone).
  EncoderOutput run_encoder(const torch::Tensor& features, const torch::Tensor& feature_lengths,
                            const torch::Tensor& covered_frames = {});

  // The rest: with `speech.compress: ctc` the projector reads only the
  // encoder frames where the CTC head fires (ctc_compression.h); with
  // `speech.posterior_embedding: true` each of them also gets
  // posterior_embeddings(). Training with the encoder cache calls this on
  // cached encoder outputs.
  SpeechEmbeddings project_encoded(const EncoderOutput& encoded);

  bool pad_30s() const { return pad_30s_; }
  bool normalizes_features() const { return normalize_features_; }  // data.feature_norm, resolved
  bool spec_augment_on() const { return spec_augment_.has_value(); }
  // How many times run_encoder has run the encoder (the encoder cache's logs and tests).
  int64_t encoder_runs() const { return encoder_runs_; }

  // Plans -> one LLM input batch (see plan_executor.h).
  SplicedBatch splice_plans(const std::vector<PlannedSample>& samples, const SpeechEmbeddings& speech,
                            PadSide pad = PadSide::Right);

  // Teacher-forced next-token loss on a spliced batch.
  LossResult loss(const SplicedBatch& batch);

  const FrameMapper& frame_mapper() const { return mapper_; }
  SpeechEncoder& encoder() { return *encoder_; }
  Projector& projector() { return *projector_; }
  LanguageModel& llm() { return *llm_; }

 private:
  // The LLM's input embeddings averaged under each kept run's mean CTC
  // posterior ([B, K, units + blank], from compress_by_ctc; blank dropped), [B, K, H]: next to the acoustic vector the LLM
  // reads the text embedding of what the encoder heard, so speech starts out
  // close to text in the LLM's input space (LegoSLM, Ma et al. 2025).
  torch::Tensor posterior_embeddings(const torch::Tensor& run_posteriors_with_blank);

  std::shared_ptr<SpeechEncoder> encoder_;
  std::shared_ptr<Projector> projector_;
  std::shared_ptr<LanguageModel> llm_;
  FrameMapper mapper_;
  bool normalize_features_ = true;
  bool compress_by_ctc_ = false;
  bool posterior_embedding_ = false;
  std::optional<data::SpecAugmentOptions> spec_augment_;  // speech.spec_augment, training only
  bool pad_30s_ = false;     // features.pad_30s: rows are whole 30 s windows
  int64_t encoder_runs_ = 0;
};

// speech.spec_augment (a map; {} = the defaults of SpecAugmentOptions). Errors name the key.
std::optional<data::SpecAugmentOptions> spec_augment_options(const Config& section);

// Per-utterance mean/variance normalization of padded features [B, T, F]
// over each row's first lengths[b] frames; padding stays 0.
torch::Tensor normalize_per_utterance(const torch::Tensor& features, const torch::Tensor& lengths);

}  // namespace jstip::graph
