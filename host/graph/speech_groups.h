// The encoder and projector over a batch's audio rows in consecutive groups
// instead of one call, stacked back as if encoded at once. Decoding on a CPU
// uses it (decode.encoder_frames_per_call): the encoder is compute-bound
// there, so a bigger call saves nothing, while its working set grows with the
// call: 16 rows of 7 s touched ~85 MB of fresh memory in one call, ~20k page
// faults, 0.4 s on the reference machine; groups of 4 rows touch ~25 MB.
#pragma once

#include <torch/types.h>

#include <vector>

#include "host/graph/speech_llm.h"

namespace jstip::graph {

// Groups of consecutive rows whose padded size (rows x the group's longest
// row, in feature frames) stays within `max_padded_frames` (a longer row
// forms a group of its own); each group is cut to its own longest row.
// max_padded_frames <= 0: one call for the whole batch. `covered`: the frames
// covering each row's audio (FeatureBatch::covered; features.pad_30s), or undefined.
SpeechEmbeddings encode_speech_in_groups(SpeechLLM& model, const torch::Tensor& features, const torch::Tensor& lengths,
                                         int64_t max_padded_frames, const torch::Tensor& covered = {});

// Rows of several results, in order: each tensor padded along time to the
// longest part (zeros; runs_before repeats its last count, as a batched
// compression leaves it over padding). Undefined fields stay undefined.
SpeechEmbeddings stack_speech_rows(const std::vector<SpeechEmbeddings>& parts);

}  // namespace jstip::graph
