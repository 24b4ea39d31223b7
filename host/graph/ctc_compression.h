// CTC compression of encoder output (speech.compress: ctc): keep only the
// frames where the encoder's CTC head fires a unit, one vector per fired unit
// (the mean of a run of repeated frames), and drop the blanks. The LLM then
// reads about one speech vector per token, in order, which a small LLM learns
// to transcribe far sooner than 25 frames a second (decoder-only ASR with CTC
// compression: Tsunoo et al., "Decoder-only architecture for speech
// recognition with CTC prompts and text data augmentation", 2023).
#pragma once

#include <torch/types.h>

namespace jstip::graph {

struct CtcCompressed {
  torch::Tensor hidden;       // [B, K, D]: one row per fired run, padded with zeros
  torch::Tensor lengths;      // [B] int64: runs per utterance (at least 1)
  torch::Tensor runs_before;  // [B, T' + 1] int64: runs that start before each encoder frame
};

// hidden [B, T', D], lengths [B], ctc_logits [B, T', V] with the blank last.
// A run is a stretch of frames whose best unit is the same non-blank unit.
// An utterance where the head never fires keeps its least-blank frame, so no
// row is empty. Differentiable with respect to `hidden` (not the choice of frames).
CtcCompressed compress_by_ctc(const torch::Tensor& hidden, const torch::Tensor& lengths,
                              const torch::Tensor& ctc_logits);

}  // namespace jstip::graph
