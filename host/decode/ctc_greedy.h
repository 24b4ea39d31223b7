// Greedy CTC decoding of the encoder's CTC head: the best unit per frame,
// repeats merged, blanks (the last id) dropped. With `decode.search: ctc`
// `jstip decode` writes these instead of the LLM's hypotheses: the encoder
// alone, a baseline for what the LLM adds and a check that the encoder
// learned to listen.
#pragma once

#include <torch/types.h>

#include <vector>

namespace jstip::decode {

struct CtcGreedyPath {
  std::vector<int64_t> units;  // unit ids (tokenizer pieces), blanks and repeats removed
  double log_prob = 0;         // summed log-probability of the best frame labels (the best path)
};

// ctc_logits [B, T, V] (blank = V - 1), lengths [B] valid frames of each row.
std::vector<CtcGreedyPath> ctc_greedy(const torch::Tensor& ctc_logits, const torch::Tensor& lengths);

}  // namespace jstip::decode
