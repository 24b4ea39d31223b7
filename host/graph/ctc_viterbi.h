// Viterbi forced alignment of token sequences against CTC log-posteriors:
// the single best CTC path (blank, y1, blank, y2, ..., blank states) that
// spells each transcript. Batched: one loop over frames, each step a few
// tensor ops over [rows, states]; backtracking is O(frames) per row.
#pragma once

#include <torch/types.h>

#include <string>
#include <vector>

namespace jstip::graph {

struct CtcPath {
  bool ok = false;
  std::string error;                 // why no path exists (ok == false)
  std::vector<int64_t> frame_token;  // per frame: index into the row's targets, or -1 (blank)
  std::vector<float> frame_log_prob; // per frame: log posterior of the unit the path emits there
  double log_prob = 0;               // the path's total log posterior
};

// Minimum frames a CTC path for `targets` needs: one per token plus one
// blank between equal neighbours ("l l" cannot collapse into one "l").
int64_t ctc_min_frames(const std::vector<int64_t>& targets);

// log_probs [B, T, V] (log_softmax over V), lengths [B] valid frames,
// targets[b]: unit ids below V, none equal to `blank`. Rows whose transcript
// cannot fit their frames (or is empty) come back with ok == false and an
// error saying how many frames it needs and has; the others are aligned.
std::vector<CtcPath> ctc_viterbi(const torch::Tensor& log_probs, const torch::Tensor& lengths,
                                 const std::vector<std::vector<int64_t>>& targets, int64_t blank);

}  // namespace jstip::graph
