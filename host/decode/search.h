// Greedy and beam search over a decoder-only LLM with its KV cache, for a
// batch of left-padded prefixes (row b's prefix ends at the last column, so
// every row's next token is predicted from the same column).
//
// Everything per step is tensor math on the whole batch: one LLM call on the
// newest token of every live hypothesis, log-softmax, bans (invalid ids,
// repetition guard), a top-k over beams x vocabulary per row, and the KV
// cache reordered with one index_select per layer. Rows that finish leave the
// batch (their cache rows are dropped). C++ loops only touch the few scalars
// of finished hypotheses.
#pragma once

#include <torch/types.h>

#include <vector>

#include "host/decode/search_options.h"

namespace jstip {
class LanguageModel;
}

namespace jstip::decode {

struct SearchInput {
  torch::Tensor embeddings;             // [B, L, H] left-padded prefixes
  torch::Tensor key_mask;               // [B, L] bool, false on padding
  torch::Tensor positions;              // [B, L] int64, 0.. per row
  std::vector<int64_t> max_new_tokens;  // per row (max_new_tokens() of its audio)
  // The encoder's CTC head for joint CTC/LLM search (options.ctc_weight > 0):
  torch::Tensor ctc_logits;             // [B, T, U+1], blank last, unit ids = token ids
  torch::Tensor ctc_lengths;            // [B] valid frames
};

struct Hypothesis {
  std::vector<int32_t> tokens;  // generated tokens, EOS not included
  double log_prob = 0;          // summed log-probability (EOS included when it ended with EOS);
                                // with ctc_weight > 0 the summed joint CTC/LLM score
  double score = 0;             // log_prob / max(1, length)^alpha, length counting EOS
  bool ended_with_eos = false;  // false: stopped by the length limit
};

// One hypothesis per row. Beam 1 gives the same hypotheses as greedy_search.
// beam_search also does joint CTC/LLM search (options.ctc_weight > 0).
std::vector<Hypothesis> greedy_search(LanguageModel& llm, const SearchInput& input, const SearchOptions& options);
std::vector<Hypothesis> beam_search(LanguageModel& llm, const SearchInput& input, const SearchOptions& options);

// greedy_search for beam 1 without CTC, else beam_search.
std::vector<Hypothesis> search(LanguageModel& llm, const SearchInput& input, const SearchOptions& options);

}  // namespace jstip::decode
