// Interleaving plans: plain data saying how one aligned sample becomes an
// LLM input sequence. Interleavers make plans; the host executes them on
// tensors. Plans need no tensors, so they are cheap to test and to print.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jstip/export.h"

namespace jstip {

// One word of an aligned sample.
struct PlanWord {
  std::string text;             // normalized word
  double start = -1.0;          // seconds; < 0 when the sample has no timings
  double end = -1.0;
  std::vector<int32_t> tokens;  // token ids of this word (the tokenizer's word mapping)
};

// Token ids the host reserves; an interleaver places them, it does not invent them.
struct SpecialTokens {
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t speech_begin = -1;  // <speech>, or -1 when markers are off
  int32_t speech_end = -1;    // </speech>
};

// What an interleaver sees of a sample.
struct PlanInput {
  std::string id;
  std::vector<PlanWord> words;
  bool has_audio = false;          // speech embeddings exist for this sample
  bool has_timings = false;        // every word has start/end
  std::vector<int32_t> prompt;     // task prompt tokens (the shared prompt definition)
  // Tokens between the user's content and the answer: a chat template's end
  // of the user turn and the assistant header ("<|im_end|>\n<|im_start|>assistant\n").
  // Empty for a plain prompt. Strategies that place the prompt place this
  // after the speech, before the transcript.
  std::vector<int32_t> answer_prefix;
  SpecialTokens special;
};

struct Span {
  enum class Modality { Speech, Text };
  Modality modality = Modality::Text;
  // The words [word_begin, word_end) this span covers. Speech: given as their
  // speech frames (all words = the whole audio, which needs no timings).
  // Text: the words its tokens spell; empty for prompts and markers.
  int32_t word_begin = 0;
  int32_t word_end = 0;
  // Text only: the token ids and, for each, whether it is a prediction target.
  std::vector<int32_t> tokens;
  std::vector<uint8_t> loss;
};

struct JSTIP_API Plan {
  std::string strategy;     // which strategy made it ("word", "asr", ...)
  std::vector<Span> spans;  // in sequence order
  int64_t text_tokens() const;
  int64_t loss_tokens() const;
  int64_t speech_spans() const;
};

// Readable one-line rendering, e.g. `[prompt] <speech>[w0-2 "the cat sat"]</speech> on* the* mat*`
// (a chat prompt's answer_prefix prints as [answer])
// (a * marks tokens that carry loss). Used by `jstip interleave show`.
JSTIP_API std::string render_plan(const Plan& plan, const PlanInput& input);

}  // namespace jstip
