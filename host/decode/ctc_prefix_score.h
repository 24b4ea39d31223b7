// CTC prefix scores for joint CTC/LLM search (hybrid CTC/attention decoding,
// Watanabe et al. 2017; the tensor form follows ESPnet's CTCPrefixScoreTH).
//
// For a hypothesis g and a candidate next unit c, the prefix score is
// log P(the CTC head's collapsed output starts with g+c | audio). The search
// adds ctc_weight * (score(g+c) - score(g)) to (1 - ctc_weight) * the LLM's
// log-probability, so a hypothesis the audio does not support falls out of
// the beam even when the LLM's text prior likes it; EOS gets the score of g
// being the whole output.
//
// Every hypothesis keeps r [T, 2] (log-probabilities of g over the first t+1
// frames, ending in a non-blank / a blank frame). Scoring K candidates of N
// hypotheses is one recursion over T on [2, N, K] tensors. Frames past a
// row's length are made blank with probability 1, so padded rows score as if
// cut to their length.
#pragma once

#include <torch/types.h>

namespace jstip::decode {

// The live hypotheses' CTC state, row n of every tensor = hypothesis n.
struct CtcPrefixState {
  torch::Tensor r;          // [T, 2, N] float: (non-blank, blank) forward log-probabilities of the prefix
  torch::Tensor score;      // [N] float: log prefix probability of the prefix
  torch::Tensor last;       // [N] int64: the prefix's last unit, -1 when empty
  torch::Tensor utterance;  // [N] int64: the row of the batch it belongs to
};

// Scores of K candidate units of every hypothesis.
struct CtcCandidateScores {
  torch::Tensor r;      // [T, 2, N, K] the state of g+c
  torch::Tensor score;  // [N, K] log prefix probability of g+c (for EOS: of g being the whole output)
};

class CtcPrefixScorer {
 public:
  // ctc_logits [B, T, U+1] of the encoder's CTC head (blank = U, the last id;
  // unit ids are token ids), lengths [B] its valid frames; `eos` is the
  // token that ends a hypothesis (scored as the end of the CTC output).
  CtcPrefixScorer(const torch::Tensor& ctc_logits, const torch::Tensor& lengths, int64_t eos);

  int64_t units() const { return blank_; }  // token ids below this are CTC units

  // The empty prefix of each given batch row ([N] int64).
  CtcPrefixState initial(const torch::Tensor& utterance) const;

  // Scores candidates [N, K] int64 (token ids) after each hypothesis of
  // `state`. Ids that are not CTC units (>= units(), other than EOS) score -inf.
  CtcCandidateScores score(const CtcPrefixState& state, const torch::Tensor& candidates) const;

  // The state of hypothesis n extended by its candidate k, for pairs given as
  // flat indices n * K + k ([M] int64) into `scores`.
  static CtcPrefixState extend(const CtcPrefixState& state, const CtcCandidateScores& scores,
                               const torch::Tensor& candidates, const torch::Tensor& flat_index);

 private:
  torch::Tensor log_probs_;  // [T, B, U+1] log-softmax, padded frames: blank 0, units "-inf"
  int64_t blank_ = 0;
  int64_t eos_ = -1;
};

}  // namespace jstip::decode
