#include "host/decode/repetition_guard.h"

#include <torch/torch.h>

namespace jstip::decode {

torch::Tensor repetition_bans(const torch::Tensor& history, int64_t ngram, int64_t max_count, int64_t vocab) {
  if (ngram <= 0 || max_count <= 0 || !history.defined() || history.size(0) == 0) return {};
  const int64_t length = history.size(1);
  const int64_t windows = length - ngram + 1;  // complete n-grams in the history
  if (windows < max_count) return {};
  // Every n-gram of the history; the ones whose first n-1 tokens equal the
  // hypothesis's last n-1 would be repeated by emitting their last token.
  auto grams = history.unfold(1, ngram, 1);  // [N, W, n]
  auto tail = history.slice(1, length - (ngram - 1), length).unsqueeze(1);  // [N, 1, n-1]
  auto same_start = (grams.slice(2, 0, ngram - 1) == tail).all(2);         // [N, W] (true when n = 1)
  auto next = grams.select(2, ngram - 1);                                    // [N, W]
  auto counts = torch::zeros({history.size(0), vocab}, history.options().dtype(torch::kLong));
  counts.scatter_add_(1, next, same_start.to(torch::kLong));
  return counts >= max_count;
}

}  // namespace jstip::decode
