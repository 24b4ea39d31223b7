// The repetition guard against the looping output speech-LLMs are known for,
// as tensor math on the generated tokens of all hypotheses at once.
#pragma once

#include <torch/types.h>

namespace jstip::decode {

// history: [N, t] int64, the tokens each hypothesis has generated so far.
// Returns a [N, vocab] bool mask, true for each token that would complete an
// n-gram (its last n-1 tokens being the hypothesis's last n-1) that already
// occurs `max_count` times in the history; undefined when nothing can be
// banned yet (or the guard is off: ngram <= 0 or max_count <= 0).
torch::Tensor repetition_bans(const torch::Tensor& history, int64_t ngram, int64_t max_count, int64_t vocab);

}  // namespace jstip::decode
