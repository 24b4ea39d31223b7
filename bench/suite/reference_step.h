// The reference composition (configs/jstip.yaml: transformer encoder, CTC
// compression, stack_linear projector, llama LLM, jstip interleaver) built
// from the real plugins, and one optimizer step of the trainer on a fixed
// batch from synthesized shards: the trainer's own batch_loss, backward,
// gradient clipping and AdamW.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "host/data/loader.h"
#include "host/graph/ctc_units.h"
#include "host/graph/sample_builder.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/train/batch_loss.h"

namespace jstip::bench {

struct SuiteInputs {
  std::vector<std::string> configs = {"configs/jstip.yaml"};
  std::vector<std::string> overrides;  // key=value, after tokenizer.model
  std::string shards;                  // glob of the synthesized shards
  std::string tokenizer;               // sentencepiece model
};

class ReferenceModel {
 public:
  explicit ReferenceModel(const SuiteInputs& inputs);

  // The first batch the config's batching makes (max_frames/max_utterances
  // per batch, unshuffled), or one of at most `utterances` rows when > 0.
  data::Batch batch(int64_t utterances = 0, int64_t max_frames = 0) const;
  // Every batch of an unshuffled epoch with those limits (0: the config's).
  std::vector<data::Batch> batches(int64_t utterances = 0, int64_t max_frames = 0) const;
  // Every record of the shards (for WAV export and decoding prefixes).
  std::vector<data::Utterance> records() const;

  // One training step; `trace` (optional) receives what the models were fed.
  // Plans come from the same seed every call, so repeated steps see the same layout.
  double step(const data::Batch& batch, train::BatchTrace* trace = nullptr);
  // The step's objective per target token ((LLM loss sum + ctc_weight x CTC sum) / targets) in
  // eval mode (no dropout) without updating anything: what the Python peer must reproduce.
  double eval_objective(const data::Batch& batch, train::BatchTrace* trace);
  // Planning + splicing alone for this batch (the interleave cost of a step), seconds.
  double plan_and_splice(const data::Batch& batch);

  graph::SpeechLLM& model() { return *model_; }
  const Config& config() const { return composition_.config; }
  const graph::SampleBuilder& builder() const { return *builder_; }

 private:
  host::Composition composition_;
  std::shared_ptr<graph::SpeechLLM> model_;
  std::unique_ptr<graph::SampleBuilder> builder_;
  std::unique_ptr<graph::CtcUnits> ctc_units_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  std::vector<std::string> shard_paths_;
  double ctc_weight_ = 0.5, grad_clip_ = 1.0;
};

}  // namespace jstip::bench
