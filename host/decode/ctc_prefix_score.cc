#include "host/decode/ctc_prefix_score.h"

#include <torch/torch.h>

#include <stdexcept>

namespace jstip::decode {
namespace {

// A finite log zero: differences of scores stay finite (-inf - -inf is nan).
constexpr float kLogZero = -1e10f;

}  // namespace

CtcPrefixScorer::CtcPrefixScorer(const torch::Tensor& ctc_logits, const torch::Tensor& lengths, int64_t eos)
    : eos_(eos) {
  if (ctc_logits.dim() != 3 || lengths.dim() != 1 || lengths.size(0) != ctc_logits.size(0))
    throw std::invalid_argument("CtcPrefixScorer: ctc_logits must be [B, T, V] and lengths [B]");
  auto log_probs = ctc_logits.to(torch::kFloat).log_softmax(-1).clamp_min(kLogZero);  // [B, T, V]
  const int64_t frames = log_probs.size(1), vocab = log_probs.size(2);
  blank_ = vocab - 1;
  // Frames past a row's length: blank for certain, so the recursion carries the row's last values to T.
  auto frame = torch::arange(frames, torch::TensorOptions().dtype(torch::kLong).device(log_probs.device()));
  auto padded = frame.view({1, frames}) >= lengths.to(log_probs.device()).view({-1, 1});  // [B, T]
  auto pad_frame = torch::full({vocab}, kLogZero, log_probs.options());
  pad_frame[blank_] = 0;
  log_probs_ = torch::where(padded.unsqueeze(-1), pad_frame, log_probs).transpose(0, 1).contiguous();  // [T, B, V]
}

CtcPrefixState CtcPrefixScorer::initial(const torch::Tensor& utterance) const {
  const int64_t frames = log_probs_.size(0), rows = utterance.size(0);
  CtcPrefixState state;
  state.utterance = utterance.to(log_probs_.device());
  auto blank = log_probs_.index_select(1, state.utterance).select(2, blank_);  // [T, N]
  state.r = torch::full({frames, 2, rows}, kLogZero, log_probs_.options());
  state.r.select(1, 1).copy_(blank.cumsum(0).clamp_min(kLogZero));  // only blanks so far
  state.score = torch::zeros({rows}, log_probs_.options());           // the empty prefix starts every output
  state.last = torch::full({rows}, -1, state.utterance.options());
  return state;
}

CtcCandidateScores CtcPrefixScorer::score(const CtcPrefixState& state, const torch::Tensor& candidates) const {
  const int64_t frames = log_probs_.size(0), rows = candidates.size(0), width = candidates.size(1);
  auto x_rows = log_probs_.index_select(1, state.utterance);  // [T, N, V]
  auto is_unit = candidates.lt(blank_).logical_and(candidates.ge(0));
  auto unit = candidates.clamp(0, blank_ - 1).unsqueeze(0).expand({frames, rows, width});
  auto x_unit = x_rows.gather(2, unit).masked_fill(is_unit.logical_not().unsqueeze(0), kLogZero);  // [T, N, K]
  auto x_blank = x_rows.select(2, blank_).unsqueeze(2).expand({frames, rows, width});
  auto x = torch::stack({x_unit, x_blank}, 1);  // [T, 2, N, K]

  // phi[t]: g over frames 0..t such that c may start at t+1 (after a blank only, when c repeats g's last unit).
  auto r_non_blank = state.r.select(1, 0), r_blank = state.r.select(1, 1);  // [T, N]
  auto repeats = candidates.eq(state.last.unsqueeze(1)).unsqueeze(0);      // [1, N, K]
  auto phi = torch::where(repeats, r_blank.unsqueeze(2), torch::logaddexp(r_non_blank, r_blank).unsqueeze(2));

  CtcCandidateScores out;
  out.r = torch::full({frames, 2, rows, width}, kLogZero, log_probs_.options());
  // c can take frame 0 only when g is empty.
  auto empty = state.last.lt(0).unsqueeze(1);  // [N, 1]
  out.r[0][0].copy_(torch::where(empty, x_unit[0], torch::full_like(x_unit[0], kLogZero)));
  for (int64_t t = 1; t < frames; ++t) {
    auto previous = out.r[t - 1];  // [2, N, K]
    // non-blank: stay in c, or enter c from g; blank: leave c (or stay in blank).
    auto into = torch::stack({previous[0], phi[t - 1], previous[0], previous[1]}).view({2, 2, rows, width});
    out.r[t].copy_(torch::logsumexp(into, 1) + x[t]);
  }
  // log P(output starts with g+c) = sum over the frame where c starts.
  auto starts = torch::cat({out.r[0][0].unsqueeze(0), phi.narrow(0, 0, frames - 1) + x_unit.narrow(0, 1, frames - 1)});
  out.score = torch::logsumexp(starts, 0).clamp_min(kLogZero);  // [N, K]
  if (eos_ >= 0) {
    auto whole = torch::logaddexp(r_non_blank[frames - 1], r_blank[frames - 1]).unsqueeze(1);  // [N, 1]
    out.score = torch::where(candidates.eq(eos_), whole.expand({rows, width}), out.score);
  }
  return out;
}

CtcPrefixState CtcPrefixScorer::extend(const CtcPrefixState& state, const CtcCandidateScores& scores,
                                       const torch::Tensor& candidates, const torch::Tensor& flat_index) {
  const int64_t frames = scores.r.size(0), width = candidates.size(1);
  CtcPrefixState next;
  next.r = scores.r.reshape({frames, 2, -1}).index_select(2, flat_index);
  next.score = scores.score.reshape({-1}).index_select(0, flat_index);
  next.last = candidates.reshape({-1}).index_select(0, flat_index);
  next.utterance = state.utterance.index_select(0, flat_index.div(width, "floor"));
  return next;
}

}  // namespace jstip::decode
