// The loss of one training micro-batch: plan every sample with the source's
// interleaver, run encoder+projector once over the rows with speech, splice,
// take the LLM's next-token loss and (optionally) the encoder's CTC loss.
// Shared by the trainer and the performance suite (bench/suite/), so the
// suite times the trainer's own step.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "host/data/loader.h"
#include "host/graph/plan_executor.h"

namespace jstip {
class Interleaver;
}
namespace jstip::graph {
class SpeechLLM;
class SampleBuilder;
class CtcUnits;
}  // namespace jstip::graph

namespace jstip::train {

class EncoderCache;

struct BatchLoss {
  torch::Tensor loss;
  int64_t targets = 0;
  int64_t positions = 0;  // LLM positions processed (throughput)
  std::map<std::string, std::pair<double, int64_t>> by_strategy;  // summed loss, targets
  torch::Tensor ctc_sum;      // summed CTC loss of the audio rows (undefined when off)
  int64_t ctc_targets = 0;
};

// Which losses a micro-batch computes: the LLM's, the CTC head's, or both;
// and where the encoder's outputs come from.
struct LossMode {
  bool llm = true;
  const graph::CtcUnits* ctc = nullptr;  // null: no CTC loss
  // Set (a frozen encoder, encoder_cache.h): the audio rows' encoder outputs
  // are read from the cache, the missing ones encoded once and stored.
  EncoderCache* encoder_cache = nullptr;
};

// What a micro-batch fed the models, for tools that replay its shapes
// (the Python peer of the performance suite). Filled only when asked for.
struct BatchTrace {
  std::vector<int64_t> audio_rows;                // batch rows whose plan has speech
  torch::Tensor features, feature_lengths;        // encoder input of those rows (also when the cache served them)
  torch::Tensor speech_lengths;                   // projected (compressed) speech vectors per audio row
  int64_t speech_time = 0;                        // padded length of the projected speech
  std::vector<std::vector<int64_t>> transcripts;  // CTC targets per audio row (empty without CTC)
  graph::SplicedBatch spliced;                    // the LLM input
};

// The CTC loss alone (a stage with llm_weight 0): every record with audio, its
// whole transcript; no plans, no LLM. `loss` is the mean per target unit.
BatchLoss ctc_only_loss(graph::SpeechLLM& model, const graph::SampleBuilder& builder, const graph::CtcUnits& units,
                        const std::string& source, const data::Batch& batch, EncoderCache* encoder_cache = nullptr);

BatchLoss batch_loss(graph::SpeechLLM& model, const graph::SampleBuilder& builder, const Interleaver& interleaver,
                     const std::string& strategy, const std::string& source, const data::Batch& batch,
                     std::mt19937_64& rng, LossMode mode = {}, BatchTrace* trace = nullptr);

}  // namespace jstip::train
