// Decodes one batch of records: features (feature_extractor.h), encoder and projector (in
// groups of rows on the CPU), the decode prefixes spliced left-padded, then
// the search.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <vector>

#include "host/data/feature_extractor.h"
#include "host/data/shard_file.h"
#include "host/decode/decoded_utterance.h"
#include "host/decode/search_options.h"

namespace jstip::data {
class Tokenizer;
}
namespace jstip::graph {
class SpeechLLM;
struct SpeechEmbeddings;
}

namespace jstip::decode {

class DecodePrompt;

// Seconds a record's output budget is based on: its audio, or for a record
// without audio, its words at 2.5 words per second.
double budget_seconds(const data::Utterance& record);

class BatchDecoder {
 public:
  // `options` gets its EOS, never-generated ids (<s>, speech markers) and
  // valid vocabulary from the prompt's special tokens and the tokenizer.
  // `encoder_frames_per_call`: decode.encoder_frames_per_call (0: by device).
  BatchDecoder(graph::SpeechLLM& model, const DecodePrompt& prompt, const data::Tokenizer& tokenizer,
               SearchOptions options, const data::FeatureOptions& features, const torch::Device& device,
               int64_t encoder_frames_per_call = 0);

  // Errors name the record (no transcript, no audio for --input speech, no answers for --task qa).
  std::vector<DecodedUtterance> decode(const std::vector<data::Utterance>& records);

  const SearchOptions& options() const { return options_; }
  int64_t encoder_frames_per_call() const { return encoder_frames_per_call_; }  // resolved; 0: one call per batch
  const data::FeatureExtractor& features() const { return *features_; }

 private:
  // decode.search: ctc: the CTC head's greedy paths as the hypotheses.
  std::vector<DecodedUtterance> ctc_hypotheses(const graph::SpeechEmbeddings& speech,
                                               const std::vector<int64_t>& audio_rows, std::vector<DecodedUtterance> out,
                                               std::chrono::steady_clock::time_point start);

  graph::SpeechLLM& model_;
  const DecodePrompt& prompt_;
  const data::Tokenizer& tokenizer_;
  SearchOptions options_;
  std::unique_ptr<data::FeatureExtractor> features_;
  torch::Device device_;
  int64_t encoder_frames_per_call_;  // resolved: <= 0 means one call for the batch
};

// metadata["answers"] split at '|', trimmed, empty ones dropped.
std::vector<std::string> record_answers(const data::Utterance& record);

}  // namespace jstip::decode
