// What a decoder forward is given, checked and turned into what attention
// needs: the shapes of jstip::LanguageModel::forward_embeddings' arguments,
// the causal + padding mask, and the KV cache's append.
#pragma once

#include <torch/types.h>

#include <string>
#include <utility>

#include "jstip/llm.h"

namespace jstip::decoder {

// Checks the shapes of forward_embeddings' arguments against each other and
// the cache, naming the argument that is off. `plugin` prefixes the message.
void check_decoder_inputs(const char* plugin, const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                          const torch::Tensor& positions, const KVCache* cache, int64_t hidden_size);

// [B, 1, T, T_past + T] bool: query i (slot T_past + i) may see key j when
// j <= T_past + i and key_mask[b, j]. Causality is by slot, not position id,
// so left-padded rows work.
torch::Tensor causal_allowed(const torch::Tensor& key_mask, int64_t query_length);

// Appends this step's keys/values ([B, H, T, D]) to layer `layer` of `cache`
// (when given) and returns the keys/values to attend over. The cache's tensors
// are views of buffers with spare room along T (amortized O(1) appends); a
// cache that was copied, or whose tensors someone else holds, is never
// written in place.
std::pair<torch::Tensor, torch::Tensor> append_to_cache(KVCache* cache, size_t layer, size_t num_layers,
                                                        const torch::Tensor& keys, const torch::Tensor& values);

}  // namespace jstip::decoder
