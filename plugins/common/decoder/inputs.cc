#include "decoder/inputs.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace jstip::decoder {

void check_decoder_inputs(const char* plugin, const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                          const torch::Tensor& positions, const KVCache* cache, int64_t hidden_size) {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(std::string(plugin) + ": " + what); };
  auto shape = [](const torch::Tensor& t) {
    std::ostringstream out;
    out << t.sizes();
    return out.str();
  };
  if (embeddings.dim() != 3 || embeddings.size(2) != hidden_size)
    fail("embeddings must be [B, T, " + std::to_string(hidden_size) + "], got " + shape(embeddings));
  int64_t batch = embeddings.size(0), length = embeddings.size(1);
  int64_t past = cache ? cache->length() : 0;
  if (cache && past > 0 && cache->keys[0].size(0) != batch)
    fail("the KV cache holds batch " + std::to_string(cache->keys[0].size(0)) + ", embeddings have batch " +
         std::to_string(batch));
  if (key_mask.dim() != 2 || key_mask.size(0) != batch || key_mask.size(1) != past + length)
    fail("key_mask must be [B, T_past + T] = [" + std::to_string(batch) + ", " + std::to_string(past + length) +
         "], got " + shape(key_mask));
  if (positions.dim() != 2 || positions.size(0) != batch || positions.size(1) != length)
    fail("positions must be [B, T] = [" + std::to_string(batch) + ", " + std::to_string(length) + "], got " +
         shape(positions));
}

torch::Tensor causal_allowed(const torch::Tensor& key_mask, int64_t query_length) {
  int64_t total = key_mask.size(1);
  int64_t past = total - query_length;
  auto options = key_mask.options().dtype(torch::kInt64);
  auto query_slot = torch::arange(past, total, options).unsqueeze(1);  // [T, 1]
  auto key_slot = torch::arange(total, options).unsqueeze(0);          // [1, Tk]
  auto causal = key_slot <= query_slot;                                // [T, Tk]
  return causal.unsqueeze(0).unsqueeze(0) & key_mask.to(torch::kBool).unsqueeze(1).unsqueeze(2);
}

namespace {

// True when `cached` ([B, H, T, D]) is the first T time steps of a buffer of
// ours with room for `extra` more, and no other tensor shares that buffer
// (a copied KVCache, a view kept by a caller): only then may it grow in place.
bool has_room_to_grow(const torch::Tensor& cached, int64_t extra) {
  if (cached.dim() != 4 || cached.storage_offset() != 0 || cached.stride(3) != 1) return false;
  const int64_t depth = cached.size(3);
  if (cached.stride(2) != depth || cached.stride(1) % depth != 0) return false;
  const int64_t capacity = cached.stride(1) / depth;
  if (cached.size(2) + extra > capacity || cached.stride(0) != cached.size(1) * cached.stride(1)) return false;
  if (cached.storage().nbytes() < static_cast<size_t>(cached.size(0) * cached.stride(0) * cached.element_size()))
    return false;
  return cached.use_count() == 1 && cached.storage().use_count() == 1;
}

// Appends `fresh` to `cached` along time. Token-by-token decoding appends one
// step at a time: torch::cat would copy the whole cache every token (quadratic
// in the output length), so the cache lives in a buffer with spare room that
// doubles when full, and a step writes only its own slice.
void append_along_time(torch::Tensor& cached, const torch::Tensor& fresh) {
  const int64_t past = cached.defined() ? cached.size(2) : 0, extra = fresh.size(2);
  if (past > 0 && has_room_to_grow(cached, extra)) {
    auto sizes = cached.sizes().vec();
    sizes[2] = past + extra;
    cached.set_(cached.storage(), 0, sizes, cached.strides());
  } else {
    const int64_t capacity = std::max<int64_t>(2 * (past + extra), 16);
    auto buffer = torch::empty({fresh.size(0), fresh.size(1), capacity, fresh.size(3)}, fresh.options());
    if (past > 0) buffer.narrow(2, 0, past).copy_(cached);
    buffer.set_(buffer.storage(), 0, {fresh.size(0), fresh.size(1), past + extra, fresh.size(3)}, buffer.strides());
    cached = buffer;
  }
  cached.narrow(2, past, extra).copy_(fresh);
}

}  // namespace

std::pair<torch::Tensor, torch::Tensor> append_to_cache(KVCache* cache, size_t layer, size_t num_layers,
                                                        const torch::Tensor& keys, const torch::Tensor& values) {
  if (!cache) return {keys, values};
  if (cache->keys.size() != num_layers) {
    cache->keys.resize(num_layers);
    cache->values.resize(num_layers);
  }
  append_along_time(cache->keys[layer], keys);
  append_along_time(cache->values[layer], values);
  return {cache->keys[layer], cache->values[layer]};
}

}  // namespace jstip::decoder
