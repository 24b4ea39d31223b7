// Records -> the same records with word timings from the encoder's CTC head:
// features, one encoder pass per batch, Viterbi forced alignment of each
// transcript (graph/ctc_viterbi.h), frames -> seconds (word_timings.h).
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "host/align/word_timings.h"
#include "host/data/feature_extractor.h"
#include "host/data/shard_file.h"
#include "host/graph/ctc_units.h"

namespace jstip::graph {
class SampleBuilder;
class SpeechLLM;
}  // namespace jstip::graph

namespace jstip::align {

struct AlignOutcome {
  enum class Status { Aligned, TextOnly, Failed };
  Status status = Status::Failed;
  double score = 0;   // mean log posterior per frame of the path (Aligned)
  std::string error;  // why it failed, naming the record (Failed)
};

class Aligner {
 public:
  // `model` must have an encoder CTC head trained on `units`.
  Aligner(graph::SpeechLLM& model, const graph::SampleBuilder& builder, graph::CtcUnits units,
          const data::FeatureOptions& features, torch::Device device, Boundaries boundaries = Boundaries::Spikes);

  // Aligns the records with audio in one batch and writes their words
  // (text, start, end, has_timing, confidence; metadata align_score). Failed
  // and text-only records are left as they were.
  std::vector<AlignOutcome> align(std::vector<data::Utterance>& records);

  double frame_seconds() const { return frame_seconds_; }  // one CTC frame

 private:
  graph::SpeechLLM& model_;
  const graph::SampleBuilder& builder_;
  graph::CtcUnits units_;
  std::unique_ptr<data::FeatureExtractor> features_;
  torch::Device device_;
  Boundaries boundaries_;
  double frame_seconds_;
};

}  // namespace jstip::align
