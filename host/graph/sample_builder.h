// Records -> what interleavers see (PlanInput): words with timings and the
// token ids of each word, special tokens, and the shared prompt.
//
// The prompt is defined once, in the config's `prompt` section, and used by
// training and decoding alike (mismatched prompts are a known cause of
// looping or refusing LLM-ASR output).
#pragma once

#include <memory>
#include <string>

#include "host/data/shard_file.h"
#include "jstip/config.h"
#include "jstip/plan.h"

namespace jstip::data {
class Tokenizer;
}

namespace jstip::graph {

struct PromptDefinition {
  std::string text = "transcribe the speech";  // the task prompt, as text
  std::string speech_begin = "<speech>";       // marker pieces; "" = no markers
  std::string speech_end = "</speech>";

  // From the config's `prompt` section (absent keys keep the defaults).
  static PromptDefinition from_config(const Config& config);
};

class SampleBuilder {
 public:
  SampleBuilder(std::shared_ptr<const data::Tokenizer> tokenizer, PromptDefinition prompt);

  // Errors name the record: words without text, timings out of order or
  // outside the audio.
  // loaded_audio_seconds: the audio's length where the caller has loaded it (a record that
  // names a whole file carries none); < 0: taken from the record (inline samples, segment).
  // Word timings that end after the audio are refused either way.
  PlanInput build(const data::Utterance& record, double loaded_audio_seconds = -1) const;

  const SpecialTokens& special() const { return special_; }
  const std::vector<int32_t>& prompt_tokens() const { return prompt_tokens_; }
  const data::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  std::shared_ptr<const data::Tokenizer> tokenizer_;
  PromptDefinition prompt_;
  SpecialTokens special_;
  std::vector<int32_t> prompt_tokens_;
};

// Duration of a record's audio in seconds (0 for text-only records).
double audio_seconds(const data::Utterance& record);

}  // namespace jstip::graph
