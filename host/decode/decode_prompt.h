// The LLM prefix for decoding a record: the sample the training `asr`
// strategy builds for it (same shared prompt definition, same interleaver
// plugin and options), cut before the first span that carries loss — so the
// prefix is token for token the training sample minus the transcript and
// </s>:  <s> [prompt] <speech>[utterance]</speech> [answer]
// (with prompt.format chat: the user turn holding the prompt and the speech,
// then the assistant header; graph::PromptDefinition)
//
// Tasks and inputs:
//   asr  prompt.text (default "transcribe the speech")
//   qa   prompt.qa_text (default "answer the question", chat: "Answer the
//        question."); the record's
//        transcript is the spoken question
//   --input text: the transcript's tokens stand where the speech was (inside
//        the same markers), for the speech/text modality gap on one LLM.
// Bias terms (contextual biasing) are appended to the prompt text as
// " terms: a, b, c" (normalized like every prompt).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host/data/shard_file.h"
#include "jstip/config.h"
#include "jstip/plan.h"

namespace jstip {
class Interleaver;
}
namespace jstip::data {
class Tokenizer;
}
namespace jstip::graph {
class SampleBuilder;
}
namespace jstip::host {
class PluginRegistry;
}

namespace jstip::decode {

enum class DecodeTask { Asr, Qa };
enum class DecodeInput { Speech, Text };

DecodeTask parse_task(const std::string& name);    // "asr" | "qa"
DecodeInput parse_input(const std::string& name);  // "speech" | "text"

// The prompt text of a task with bias terms appended (none: unchanged).
std::string prompt_text(const Config& config, DecodeTask task, const std::vector<std::string>& bias_terms);

// One bias term per non-empty line; errors name the file.
std::vector<std::string> read_bias_terms(const std::string& path);

class DecodePrompt {
 public:
  DecodePrompt(const Config& config, std::shared_ptr<const data::Tokenizer> tokenizer,
               const host::PluginRegistry& registry, DecodeTask task, DecodeInput input,
               const std::vector<std::string>& bias_terms = {});
  ~DecodePrompt();

  PlanInput plan_input(const data::Utterance& record) const;  // errors name the record
  Plan prefix(const PlanInput& input) const;                  // errors name the record

  const SpecialTokens& special() const;
  const std::string& text() const { return text_; }
  DecodeTask task() const { return task_; }
  DecodeInput input() const { return input_; }

 private:
  std::unique_ptr<graph::SampleBuilder> builder_;
  std::shared_ptr<Interleaver> asr_;
  std::string text_;
  DecodeTask task_;
  DecodeInput input_;
};

}  // namespace jstip::decode
