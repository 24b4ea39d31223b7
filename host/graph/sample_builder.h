// Records -> what interleavers see (PlanInput): words with timings and the
// token ids of each word, special tokens, and the shared prompt.
//
// The prompt is defined once, in the config's `prompt` section, and used by
// training and decoding alike (mismatched prompts are a known cause of
// looping or refusing LLM-ASR output).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "host/data/chat_template.h"
#include "host/data/shard_file.h"
#include "jstip/config.h"
#include "jstip/plan.h"

namespace jstip::data {
class Tokenizer;
}

namespace jstip::graph {

// Two formats:
//   plain  <s> task-prompt <speech>...</speech> transcript </s>   (the prompt
//          text normalized like the transcripts; for tokenizers trained here)
//   chat   the LLM's own chat template (data::ChatTemplate, read from its
//          file): the prompt and the speech are the user's turn, the
//          transcript is the assistant's answer, ended by the template's
//          end-of-turn token; the prompt text is kept as written.
//          <|im_start|>system\n...<|im_end|>\n<|im_start|>user\nTranscribe the speech.\n
//          [speech]<|im_end|>\n<|im_start|>assistant\n transcript <|im_end|>
struct PromptDefinition {
  std::string text = "transcribe the speech";  // the task prompt, as text
  std::string qa_text = "answer the question";  // the prompt of spoken QA (jstip decode --task qa)
  std::string speech_begin = "<speech>";       // marker pieces; "" = no markers
  std::string speech_end = "</speech>";
  std::optional<data::ChatTemplate> chat;      // set: the chat format
  // prompt.transcripts: which form of a record's words the LLM reads and
  // writes: "written" (case, punctuation, digits: what a pretrained, cased LLM
  // knows; the default of chat) or "normalized" (the default of plain). Words
  // keep their normalized text for timings, CTC and scoring either way.
  bool written_transcripts = false;

  // From the config's `prompt` section (absent keys keep the defaults).
  // prompt.format: plain (default) | chat. A chat prompt reads the template from
  // prompt.chat_template, else from tokenizer.model (a .gguf, or a Hugging Face
  // folder / its tokenizer.json beside tokenizer_config.json), and defaults to
  // no speech markers and the texts "Transcribe the speech." and "Answer the question.".
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
  const std::vector<int32_t>& answer_prefix() const { return answer_prefix_; }
  const data::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  // Each word's tokens: its normalized text, or its written form (prompt.transcripts).
  std::vector<std::vector<int32_t>> tokens_of_words(const data::Utterance& record,
                                                    const std::vector<std::string>& words) const;

  std::shared_ptr<const data::Tokenizer> tokenizer_;
  PromptDefinition prompt_;
  SpecialTokens special_;
  std::vector<int32_t> prompt_tokens_;
  std::vector<int32_t> answer_prefix_;
};

// Duration of a record's audio in seconds (0 for text-only records).
double audio_seconds(const data::Utterance& record);

}  // namespace jstip::graph
