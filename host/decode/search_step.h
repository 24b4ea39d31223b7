// The pieces greedy and beam search share: the prefix pass, one incremental
// step, the log-probabilities with bans applied, and reordering (or
// shrinking) the live rows of the KV cache. Internal to host/decode.
#pragma once

#include <torch/types.h>

#include "host/decode/search.h"
#include "jstip/llm.h"

namespace jstip::decode::detail {

// The live rows of a search: their KV cache, key mask and next position.
struct LiveRows {
  KVCache cache;
  torch::Tensor key_mask;       // [N, T_past] bool
  torch::Tensor next_position;  // [N] int64
  torch::Tensor history;        // [N, t] int64 generated tokens
};

// Runs the prefixes; returns the logits of each row's last position [B, V]
// and fills `rows` (empty history).
torch::Tensor run_prefix(LanguageModel& llm, const SearchInput& input, LiveRows* rows);

// Keeps (and reorders) rows: every tensor of `rows`, cache included, takes index_select(0, index).
void select_rows(LiveRows* rows, const torch::Tensor& index);

// Feeds one token per row ([N] int64), appends it to the history; returns the next logits [N, V].
torch::Tensor step(LanguageModel& llm, const torch::Tensor& tokens, LiveRows* rows);

// [V] float: 0 for ids that may be produced, -inf for the rest.
torch::Tensor token_bias(const SearchOptions& options, int64_t vocab, const torch::Device& device);

// log_softmax(logits) in float, with the token bias and the repetition guard applied.
torch::Tensor next_log_probs(const torch::Tensor& logits, const torch::Tensor& bias, const torch::Tensor& history,
                             const SearchOptions& options);

double normalized_score(double log_prob, int64_t length, double alpha);

// Row `row` of a [N, t] int64 tensor as token ids.
std::vector<int32_t> tokens_of(const torch::Tensor& history_cpu, int64_t row);

}  // namespace jstip::decode::detail
