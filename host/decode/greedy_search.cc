// Greedy search: the most likely token of every live row, one LLM step at a time.
#include <torch/torch.h>

#include "host/decode/search.h"
#include "host/decode/search_step.h"

namespace jstip::decode {

std::vector<Hypothesis> greedy_search(LanguageModel& llm, const SearchInput& input, const SearchOptions& options) {
  detail::LiveRows rows;
  torch::Tensor logits = detail::run_prefix(llm, input, &rows);
  const int64_t batch = input.embeddings.size(0);
  const auto device = input.embeddings.device();
  const torch::Tensor bias = detail::token_bias(options, logits.size(-1), device);

  std::vector<Hypothesis> out(batch);
  std::vector<int64_t> live;  // original row of each live row
  for (int64_t b = 0; b < batch; ++b)
    if (input.max_new_tokens[b] > 0) live.push_back(b);
  if (live.size() < static_cast<size_t>(batch)) {
    detail::select_rows(&rows, torch::tensor(live, torch::kLong).to(device));
    logits = logits.index_select(0, torch::tensor(live, torch::kLong).to(device));
  }

  while (!live.empty()) {
    auto log_probs = detail::next_log_probs(logits, bias, rows.history, options);
    auto [best, token] = log_probs.max(1);
    auto best_cpu = best.to(torch::kCPU).to(torch::kDouble).contiguous();
    auto token_cpu = token.to(torch::kCPU).contiguous();
    const double* lp = best_cpu.data_ptr<double>();
    const int64_t* tk = token_cpu.data_ptr<int64_t>();

    std::vector<int64_t> keep, still_live;
    for (size_t i = 0; i < live.size(); ++i) {
      Hypothesis& h = out[live[i]];
      h.log_prob += lp[i];
      if (tk[i] == options.eos) {
        h.ended_with_eos = true;
        continue;
      }
      h.tokens.push_back(static_cast<int32_t>(tk[i]));
      if (static_cast<int64_t>(h.tokens.size()) >= input.max_new_tokens[live[i]]) continue;  // length limit
      keep.push_back(static_cast<int64_t>(i));
      still_live.push_back(live[i]);
    }
    if (still_live.empty()) break;
    if (still_live.size() < live.size()) {
      auto index = torch::tensor(keep, torch::kLong).to(device);
      detail::select_rows(&rows, index);
      token = token.index_select(0, index);
    }
    live = std::move(still_live);
    logits = detail::step(llm, token, &rows);
  }
  for (auto& h : out)
    h.score = detail::normalized_score(h.log_prob, static_cast<int64_t>(h.tokens.size()) + (h.ended_with_eos ? 1 : 0),
                                       options.length_penalty);
  return out;
}

std::vector<Hypothesis> search(LanguageModel& llm, const SearchInput& input, const SearchOptions& options) {
  return options.beam <= 1 && options.ctc_weight <= 0 ? greedy_search(llm, input, options) : beam_search(llm, input, options);
}

}  // namespace jstip::decode
