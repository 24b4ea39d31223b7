// Greedy decoding through the toolkit's own search (host/decode/greedy_search,
// KV cache, batched rows) on a prefix of random token embeddings, run for a
// fixed number of new tokens (no EOS, repetition guard off) so the Python
// peer's `generate` loop does exactly the same steps.
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace jstip {
class LanguageModel;
}
namespace jstip::graph {
class SpeechLLM;
}

namespace jstip::bench {

// Seconds for `batch` rows: prefix pass + `new_tokens` steps.
double greedy_decode_seconds(LanguageModel& llm, int64_t batch, int64_t prefix, int64_t new_tokens);

// Seconds for the encoder + projector (graph::encode_speech_in_groups,
// inference mode) on padded features [B, T, bins] in groups of at most
// `max_padded_frames` (0: one call for the batch; 1: one row per call, each
// cut to its own length, as `jstip decode --batch 1` runs it).
double encode_seconds(graph::SpeechLLM& model, const torch::Tensor& features, const torch::Tensor& lengths,
                      int64_t max_padded_frames);

}  // namespace jstip::bench
