// Beam search, batched: rows x beams live hypotheses advance together; each
// step takes the top 2K candidates of a row over beams x vocabulary (so K
// non-EOS continuations remain after the EOS ones are set aside).
//
// A candidate ending with EOS among the row's top K becomes a finished
// hypothesis. A row is done when it has K finished hypotheses and its best
// live one, length-normalized at its current length, is no better than the
// K-th best finished one; or when its hypotheses reach the length limit (the
// live ones then finish without EOS). The answer is the finished hypothesis
// with the best length-normalized score.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "host/decode/search.h"
#include "host/decode/search_step.h"

namespace jstip::decode {

std::vector<Hypothesis> beam_search(LanguageModel& llm, const SearchInput& input, const SearchOptions& options) {
  const int64_t beam = std::max<int64_t>(1, options.beam);
  const double alpha = options.length_penalty;
  const float minus_inf = -std::numeric_limits<float>::infinity();
  detail::LiveRows rows;
  torch::Tensor logits = detail::run_prefix(llm, input, &rows);
  const int64_t batch = input.embeddings.size(0), vocab = logits.size(-1);
  const auto device = input.embeddings.device();
  const auto long_options = torch::TensorOptions().dtype(torch::kLong).device(device);
  const torch::Tensor bias = detail::token_bias(options, vocab, device);

  std::vector<std::vector<Hypothesis>> finished(batch);
  std::vector<int64_t> live;  // original row of each live row
  for (int64_t b = 0; b < batch; ++b)
    if (input.max_new_tokens[b] > 0) live.push_back(b);
  if (live.empty()) return std::vector<Hypothesis>(batch);
  {
    // Every live row gets `beam` copies of its prefix state; only copy 0 starts alive.
    auto expand = torch::tensor(live, torch::kLong).to(device).repeat_interleave(beam);
    detail::select_rows(&rows, expand);
    logits = logits.index_select(0, expand);
  }
  auto beam_scores = torch::full({static_cast<int64_t>(live.size()), beam}, minus_inf,
                                 torch::TensorOptions().dtype(torch::kFloat).device(device));
  beam_scores.select(1, 0).fill_(0);

  for (int64_t step = 0; !live.empty(); ++step) {
    const auto rows_live = static_cast<int64_t>(live.size());
    auto log_probs = detail::next_log_probs(logits, bias, rows.history, options);
    auto total = (log_probs + beam_scores.view({-1, 1})).view({rows_live, beam * vocab});
    auto [cand_scores, cand] = total.topk(std::min<int64_t>(2 * beam, beam * vocab), 1);
    auto cand_beam = cand.div(vocab, "floor");
    auto cand_token = cand.remainder(vocab);
    auto is_eos = options.eos >= 0 ? cand_token == options.eos : torch::zeros_like(cand_token, torch::kBool);
    auto [sel_scores, sel] = cand_scores.masked_fill(is_eos, minus_inf).topk(beam, 1);
    auto sel_beam = cand_beam.gather(1, sel);
    auto sel_token = cand_token.gather(1, sel);

    // Bookkeeping on the CPU: a few scalars per row.
    auto c_scores_cpu = cand_scores.to(torch::kCPU).to(torch::kDouble).contiguous();
    auto c_beam_cpu = cand_beam.to(torch::kCPU).contiguous();
    auto c_eos_cpu = is_eos.to(torch::kCPU).contiguous();
    auto s_scores_cpu = sel_scores.to(torch::kCPU).to(torch::kDouble).contiguous();
    auto s_beam_cpu = sel_beam.to(torch::kCPU).contiguous();
    auto s_token_cpu = sel_token.to(torch::kCPU).contiguous();
    auto c_scores = c_scores_cpu.accessor<double, 2>();
    auto c_beam = c_beam_cpu.accessor<int64_t, 2>();
    auto c_eos = c_eos_cpu.accessor<bool, 2>();
    auto s_scores = s_scores_cpu.accessor<double, 2>();
    auto s_beam = s_beam_cpu.accessor<int64_t, 2>();
    auto s_token = s_token_cpu.accessor<int64_t, 2>();
    const int64_t width = cand_scores.size(1);
    torch::Tensor history_cpu;  // fetched only when a hypothesis finishes
    auto history_row = [&](int64_t a, int64_t b) {
      if (!history_cpu.defined()) history_cpu = rows.history.to(torch::kCPU).contiguous();
      return detail::tokens_of(history_cpu, a * beam + b);
    };

    std::vector<int64_t> keep, still_live;
    for (int64_t a = 0; a < rows_live; ++a) {
      auto& done_hyps = finished[live[a]];
      for (int64_t j = 0; j < std::min(beam, width); ++j) {
        const double score = c_scores[a][j];
        if (!c_eos[a][j] || !std::isfinite(score)) continue;
        Hypothesis h;
        h.tokens = history_row(a, c_beam[a][j]);
        h.log_prob = score;
        h.ended_with_eos = true;
        h.score = detail::normalized_score(score, static_cast<int64_t>(h.tokens.size()) + 1, alpha);
        done_hyps.push_back(std::move(h));
      }
      const double best_live = s_scores[a][0];
      bool done = !std::isfinite(best_live);
      if (!done && step + 1 >= input.max_new_tokens[live[a]]) {  // length limit: the live ones finish as they are
        for (int64_t j = 0; j < beam; ++j) {
          const double score = s_scores[a][j];
          if (!std::isfinite(score)) continue;
          Hypothesis h;
          h.tokens = history_row(a, s_beam[a][j]);
          h.tokens.push_back(static_cast<int32_t>(s_token[a][j]));
          h.log_prob = score;
          h.score = detail::normalized_score(score, static_cast<int64_t>(h.tokens.size()), alpha);
          done_hyps.push_back(std::move(h));
        }
        done = true;
      }
      if (!done && static_cast<int64_t>(done_hyps.size()) >= beam) {
        std::vector<double> scores;
        for (const auto& h : done_hyps) scores.push_back(h.score);
        std::nth_element(scores.begin(), scores.begin() + (beam - 1), scores.end(), std::greater<>());
        done = scores[beam - 1] >= detail::normalized_score(best_live, step + 1, alpha);
      }
      if (!done) {
        keep.push_back(a);
        still_live.push_back(live[a]);
      }
    }
    if (still_live.empty()) break;

    // Each kept hypothesis continues from the beam it was chosen from.
    auto source = torch::arange(rows_live, long_options).mul(beam).view({-1, 1}) + sel_beam;  // [A, K]
    if (still_live.size() < live.size()) {
      auto kept = torch::tensor(keep, torch::kLong).to(device);
      source = source.index_select(0, kept);
      sel_token = sel_token.index_select(0, kept);
      sel_scores = sel_scores.index_select(0, kept);
    }
    live = std::move(still_live);
    detail::select_rows(&rows, source.view({-1}));
    beam_scores = sel_scores;
    logits = detail::step(llm, sel_token.reshape({-1}), &rows);
  }

  std::vector<Hypothesis> out(batch);
  for (int64_t b = 0; b < batch; ++b) {
    if (finished[b].empty()) continue;  // no budget (or nothing finite): empty hypothesis
    out[b] = *std::max_element(finished[b].begin(), finished[b].end(),
                               [](const Hypothesis& x, const Hypothesis& y) { return x.score < y.score; });
  }
  return out;
}

}  // namespace jstip::decode
