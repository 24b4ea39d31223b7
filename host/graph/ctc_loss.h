// Auxiliary CTC loss on the encoder's CTC head (hybrid CTC/attention
// training): a direct alignment signal for the encoder, which makes a
// speech-LLM trained from scratch learn to listen in far fewer steps.
#pragma once

#include <torch/types.h>

#include <vector>

namespace jstip::graph {

struct SpeechEmbeddings;

struct CtcLossSum {
  torch::Tensor sum;      // summed negative log-likelihood over the rows (scalar, differentiable)
  int64_t targets = 0;    // target tokens over the rows
};

// `transcripts[b]`: token ids of audio row b of `speech`. The head's last
// output id is the blank, so every token id must be below it. Rows whose
// transcript cannot fit their frames contribute zero (zero_infinity).
// Throws std::invalid_argument when the encoder has no CTC head or a token
// does not fit the head.
CtcLossSum ctc_loss_sum(const SpeechEmbeddings& speech, const std::vector<std::vector<int64_t>>& transcripts);

}  // namespace jstip::graph
