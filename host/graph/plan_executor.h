// Executes interleaving plans on tensors: gathers speech-embedding slices and
// text-token embeddings into one padded LLM input batch with masks, position
// ids and next-token labels.
//
// The encoder and projector run once per utterance; a plan's speech span takes
// a slice of that output. All gathering is one index_select over
// [text embeddings; speech frames; a zero row] — the only C++ loops build
// integer index vectors, never touch tensor data.
#pragma once

#include <torch/types.h>

#include <functional>
#include <vector>

#include "host/graph/frame_mapper.h"
#include "jstip/plan.h"

namespace jstip::graph {

constexpr int64_t kIgnoreLabel = -100;

struct PlannedSample {
  const Plan* plan = nullptr;
  const PlanInput* input = nullptr;
  int64_t audio_row = -1;  // row of the speech batch holding this sample's audio; -1 for none
};

enum class PadSide { Right, Left };  // training pads right; prompts for decoding pad left

struct SplicedBatch {
  torch::Tensor embeddings;  // [B, L, H]
  torch::Tensor key_mask;    // [B, L] bool, true on real positions
  torch::Tensor positions;   // [B, L] int64, 0.. per row (padding: 0)
  torch::Tensor labels;      // [B, L] int64: the token to predict at each position, or kIgnoreLabel
  torch::Tensor tokens;      // [B, L] int64: text token at each position, -1 for speech and padding
  torch::Tensor sources;     // [B, L] int64 (CPU): the row of [text embeddings; speech frames; zero] each
                             // position reads (speech frame f of audio row a: text_rows + a * T + f)
  int64_t text_rows = 0;     // text embeddings at the head of that table
  std::vector<int64_t> lengths;
};

using EmbedFn = std::function<torch::Tensor(const torch::Tensor& tokens)>;  // [N] -> [N, H]

// speech: [B_audio, T, H] projected embeddings (may be undefined when no
// sample has audio); speech_lengths: [B_audio] int64. `compressed` maps word
// times when the speech was CTC-compressed (then `mapper` is not used for spans).
SplicedBatch splice(const std::vector<PlannedSample>& samples, const torch::Tensor& speech,
                    const torch::Tensor& speech_lengths, const EmbedFn& embed, const FrameMapper& mapper,
                    PadSide pad = PadSide::Right, const CompressedFrameMapper* compressed = nullptr);

// The frames [first, last) a speech span takes from its utterance (audio row
// `audio_row` of length `audio_length`).
std::pair<int64_t, int64_t> span_frames(const Span& span, const PlanInput& input, const FrameMapper& mapper,
                                        int64_t audio_length, const CompressedFrameMapper* compressed = nullptr,
                                        int64_t audio_row = 0);

}  // namespace jstip::graph
