#include "layers/decoder.h"

#include <torch/torch.h>

#include <sstream>
#include <stdexcept>

namespace jstip::layers {

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

std::pair<torch::Tensor, torch::Tensor> append_to_cache(KVCache* cache, size_t layer, size_t num_layers,
                                                        const torch::Tensor& keys, const torch::Tensor& values) {
  if (!cache) return {keys, values};
  if (cache->keys.size() != num_layers) {
    cache->keys.resize(num_layers);
    cache->values.resize(num_layers);
  }
  torch::Tensor& k = cache->keys[layer];
  torch::Tensor& v = cache->values[layer];
  k = k.defined() ? torch::cat({k, keys}, 2) : keys;
  v = v.defined() ? torch::cat({v, values}, 2) : values;
  return {k, v};
}

}  // namespace jstip::layers
