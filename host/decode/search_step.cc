#include "host/decode/search_step.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "host/decode/repetition_guard.h"

namespace jstip::decode::detail {

torch::Tensor run_prefix(LanguageModel& llm, const SearchInput& input, LiveRows* rows) {
  const int64_t batch = input.embeddings.size(0);
  if (static_cast<int64_t>(input.max_new_tokens.size()) != batch)
    throw std::invalid_argument("search: " + std::to_string(input.max_new_tokens.size()) +
                                " token budgets for a batch of " + std::to_string(batch));
  rows->cache = KVCache{};
  LMOutput out = llm.forward_embeddings(input.embeddings, input.key_mask, input.positions, &rows->cache);
  rows->key_mask = input.key_mask.to(torch::kBool);
  // Left padding: the last column is every row's last prefix position.
  rows->next_position = input.positions.select(1, input.positions.size(1) - 1) + 1;
  rows->history = torch::zeros({batch, 0}, input.positions.options().dtype(torch::kLong));
  return out.logits.select(1, out.logits.size(1) - 1);
}

void select_rows(LiveRows* rows, const torch::Tensor& index) {
  for (auto& k : rows->cache.keys) k = k.index_select(0, index);
  for (auto& v : rows->cache.values) v = v.index_select(0, index);
  rows->key_mask = rows->key_mask.index_select(0, index);
  rows->next_position = rows->next_position.index_select(0, index);
  rows->history = rows->history.index_select(0, index);
}

torch::Tensor step(LanguageModel& llm, const torch::Tensor& tokens, LiveRows* rows) {
  auto column = tokens.view({-1, 1});
  rows->history = torch::cat({rows->history, column}, 1);
  rows->key_mask = torch::cat({rows->key_mask, torch::ones_like(column, rows->key_mask.options())}, 1);
  auto positions = rows->next_position.view({-1, 1});
  LMOutput out = llm.forward_embeddings(llm.embed(column), rows->key_mask, positions, &rows->cache);
  rows->next_position = rows->next_position + 1;
  return out.logits.select(1, 0);
}

torch::Tensor token_bias(const SearchOptions& options, int64_t vocab, const torch::Device& device) {
  auto bias = torch::zeros({vocab}, torch::kFloat);
  const float ban = -std::numeric_limits<float>::infinity();
  if (options.valid_vocab > 0 && options.valid_vocab < vocab) bias.slice(0, options.valid_vocab, vocab).fill_(ban);
  for (int32_t id : options.never_generate)
    if (id >= 0 && id < vocab && id != options.eos) bias[id] = ban;
  return bias.to(device);
}

torch::Tensor next_log_probs(const torch::Tensor& logits, const torch::Tensor& bias, const torch::Tensor& history,
                             const SearchOptions& options) {
  auto log_probs = torch::log_softmax(logits.to(torch::kFloat), -1) + bias;
  auto banned = repetition_bans(history, options.repeat_ngram, options.repeat_max, logits.size(-1));
  if (banned.defined()) {
    if (options.eos >= 0) banned.select(1, options.eos).fill_(false);  // stopping is always allowed
    log_probs.masked_fill_(banned, -std::numeric_limits<float>::infinity());
  }
  return log_probs;
}

double normalized_score(double log_prob, int64_t length, double alpha) {
  return log_prob / std::pow(static_cast<double>(std::max<int64_t>(1, length)), alpha);
}

std::vector<int32_t> tokens_of(const torch::Tensor& history_cpu, int64_t row) {
  auto r = history_cpu[row].contiguous();
  const int64_t* p = r.data_ptr<int64_t>();
  return std::vector<int32_t>(p, p + r.numel());
}

}  // namespace jstip::decode::detail
