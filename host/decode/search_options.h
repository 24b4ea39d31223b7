// Options of the search over the LLM: beam size, length normalization, the
// length limit relative to the audio, the repetition guard and which token
// ids may be produced. Read from the config's `decode` section
// (decode_options.h); the ids come from the tokenizer.
#pragma once

#include <cstdint>
#include <vector>

namespace jstip::decode {

struct SearchOptions {
  // decode.search: llm (the default) or ctc, the encoder's CTC head alone,
  // greedy (ctc_greedy.h): what the encoder hears without the LLM.
  bool ctc_head_only = false;
  int64_t beam = 1;             // 1 = greedy
  double length_penalty = 1.0;  // alpha: hypotheses are ranked by log p / max(1, length)^alpha

  // Joint CTC/LLM search (ctc_prefix_score.h): each step scores a token by
  // (1 - ctc_weight) * LLM log-prob + ctc_weight * CTC prefix score gain,
  // over the LLM's ctc_pre_beam best tokens plus EOS (0: every token).
  // 0 = the LLM alone. Needs an encoder CTC head over the tokenizer's pieces.
  double ctc_weight = 0;
  int64_t ctc_pre_beam = 100;

  // At most base + per_second * audio seconds output tokens (EOS not
  // counted), and never more than cap: a loop cannot run away.
  int64_t max_tokens_base = 10;
  double max_tokens_per_second = 15;
  int64_t max_tokens_cap = 512;

  // Repetition guard: a token that would make an n-gram of `repeat_ngram`
  // tokens occur more than `repeat_max` times in a hypothesis is banned (its
  // log-probability becomes -inf). 0 in either turns the guard off.
  int64_t repeat_ngram = 4;
  int64_t repeat_max = 2;

  int32_t eos = -1;                      // ends a hypothesis; -1: only the length limit ends one
  std::vector<int32_t> never_generate;   // e.g. <s> and the speech markers
  int64_t valid_vocab = 0;               // ids >= this are never produced (tokenizer size < LLM vocab); 0 = all
};

// The per-utterance token budget of the options for `audio_seconds` of audio.
int64_t max_new_tokens(const SearchOptions& options, double audio_seconds);

}  // namespace jstip::decode
