// Greedy decoding through the toolkit's own search (host/decode/greedy_search,
// KV cache, batched rows) on a prefix of random token embeddings, run for a
// fixed number of new tokens (no EOS, repetition guard off) so the Python
// peer's `generate` loop does exactly the same steps.
#pragma once

#include <cstdint>

namespace jstip {
class LanguageModel;
}

namespace jstip::bench {

// Seconds for `batch` rows: prefix pass + `new_tokens` steps.
double greedy_decode_seconds(LanguageModel& llm, int64_t batch, int64_t prefix, int64_t new_tokens);

}  // namespace jstip::bench
