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
//
// With options.ctc_weight > 0 the candidates of each hypothesis are the LLM's
// ctc_pre_beam best tokens plus EOS, scored jointly with the encoder's CTC
// prefix score (ctc_prefix_score.h); every other token is out.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>

#include "host/decode/ctc_prefix_score.h"
#include "host/decode/search.h"
#include "host/decode/search_step.h"

namespace jstip::decode {
namespace {

// Joint CTC/LLM search: the CTC state of the live hypotheses and the scores of this step's candidates.
struct CtcJoint {
  CtcPrefixScorer scorer;
  CtcPrefixState state;
  CtcCandidateScores scores;
  torch::Tensor candidates;  // [N, K] token ids scored this step
  torch::Tensor slot;        // [N, V] the candidate index k of each token, -1 when not a candidate
};

// (1 - w) * LLM log-prob + w * CTC prefix score gain for the candidates, -inf for the other tokens.
torch::Tensor joint_log_probs(CtcJoint& ctc, const torch::Tensor& log_probs, const SearchOptions& options) {
  const int64_t rows = log_probs.size(0), vocab = log_probs.size(1);
  const float minus_inf = -std::numeric_limits<float>::infinity();
  const int64_t width = options.ctc_pre_beam > 0 ? std::min(options.ctc_pre_beam, vocab) : vocab;
  if (options.eos >= 0 && options.eos < vocab) {
    // EOS is always a candidate: the audio may end where the LLM would go on.
    auto best = log_probs.index_fill(1, torch::tensor({int64_t(options.eos)}, torch::kLong).to(log_probs.device()),
                                     minus_inf).topk(std::max<int64_t>(1, width - 1), 1);
    ctc.candidates = torch::cat({std::get<1>(best), torch::full({rows, 1}, int64_t(options.eos), std::get<1>(best).options())}, 1);
  } else {
    ctc.candidates = std::get<1>(log_probs.topk(width, 1));
  }
  ctc.scores = ctc.scorer.score(ctc.state, ctc.candidates);
  const double w = options.ctc_weight;
  auto gain = ctc.scores.score - ctc.state.score.unsqueeze(1);
  auto joint = log_probs.gather(1, ctc.candidates).mul(1 - w) + gain.mul(w);
  auto k = torch::arange(ctc.candidates.size(1), ctc.candidates.options()).expand_as(ctc.candidates);
  ctc.slot = torch::full({rows, vocab}, -1, ctc.candidates.options()).scatter(1, ctc.candidates, k);
  return torch::full_like(log_probs, minus_inf).scatter(1, ctc.candidates, joint);
}

// The CTC state of the hypotheses continued from `source` (live row indices) with `tokens`.
void advance_ctc(CtcJoint& ctc, const torch::Tensor& source, const torch::Tensor& tokens) {
  const int64_t vocab = ctc.slot.size(1), width = ctc.candidates.size(1);
  // Tokens that were no candidate only continue dead (-inf) beams; any slot will do for them.
  auto k = ctc.slot.reshape({-1}).index_select(0, source * vocab + tokens).clamp_min(0);
  ctc.state = CtcPrefixScorer::extend(ctc.state, ctc.scores, ctc.candidates, source * width + k);
}

}  // namespace

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
  std::optional<CtcJoint> ctc;
  if (options.ctc_weight > 0) {
    if (!input.ctc_logits.defined() || !input.ctc_lengths.defined())
      throw std::invalid_argument("decode.ctc_weight > 0 needs the encoder's CTC head outputs for every row");
    ctc.emplace(CtcJoint{CtcPrefixScorer(input.ctc_logits, input.ctc_lengths, options.eos), {}, {}, {}, {}});
  }

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
    if (ctc) ctc->state = ctc->scorer.initial(expand);
  }
  auto beam_scores = torch::full({static_cast<int64_t>(live.size()), beam}, minus_inf,
                                 torch::TensorOptions().dtype(torch::kFloat).device(device));
  beam_scores.select(1, 0).fill_(0);

  for (int64_t step = 0; !live.empty(); ++step) {
    const auto rows_live = static_cast<int64_t>(live.size());
    auto log_probs = detail::next_log_probs(logits, bias, rows.history, options);
    if (ctc) log_probs = joint_log_probs(*ctc, log_probs, options);
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
    if (ctc) advance_ctc(*ctc, source.reshape({-1}), sel_token.reshape({-1}));
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
