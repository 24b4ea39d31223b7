#include "host/graph/ctc_compression.h"

#include <torch/torch.h>

#include <limits>
#include <stdexcept>

namespace jstip::graph {

CtcCompressed compress_by_ctc(const torch::Tensor& hidden, const torch::Tensor& lengths,
                              const torch::Tensor& ctc_logits) {
  if (!ctc_logits.defined())
    throw std::invalid_argument("speech.compress: ctc needs an encoder with a CTC head (set encoder.ctc_vocab)");
  const int64_t batch = hidden.size(0), frames = hidden.size(1), dim = hidden.size(2);
  const int64_t blank = ctc_logits.size(-1) - 1;
  auto lengths_here = lengths.to(hidden.device()).to(torch::kLong);
  auto valid = torch::arange(frames, lengths_here.options()).unsqueeze(0) < lengths_here.unsqueeze(1);  // [B, T']

  auto logits = ctc_logits.detach();
  auto best = logits.argmax(-1);                 // [B, T']
  auto fired = (best != blank).logical_and(valid);
  // Rows where nothing fired keep their least-blank valid frame.
  auto blank_margin = (logits.select(-1, blank) - logits.narrow(-1, 0, blank).amax(-1))
                          .masked_fill(valid.logical_not(), std::numeric_limits<float>::infinity());
  auto silent_rows = fired.any(1).logical_not();
  auto forced = torch::zeros_like(fired).scatter(1, blank_margin.argmin(1, true), silent_rows.unsqueeze(1));
  fired = fired.logical_or(forced.logical_and(valid));

  // A run starts where a unit fires that is not the same unit as on the frame before.
  auto previous_best = torch::cat({torch::full({batch, 1}, -1, best.options()), best.narrow(1, 0, frames - 1)}, 1);
  auto previous_fired = torch::cat({torch::zeros({batch, 1}, fired.options()), fired.narrow(1, 0, frames - 1)}, 1);
  auto continues = previous_fired.logical_and(previous_best == best);
  auto starts = fired.logical_and(continues.logical_not());
  auto runs_through = starts.to(torch::kLong).cumsum(1);  // runs started up to and including each frame
  auto run_lengths = runs_through.select(1, frames - 1);  // [B]
  const int64_t max_runs = std::max<int64_t>(1, run_lengths.max().item<int64_t>());

  // Mean of each run's frames: one index_add into [B * K + 1, D]; the extra row collects unfired frames.
  auto row_base = torch::arange(batch, lengths_here.options()).unsqueeze(1) * max_runs;
  auto target = torch::where(fired, row_base + runs_through - 1, torch::full_like(runs_through, batch * max_runs));
  auto flat_target = target.reshape({-1});
  auto sums = torch::zeros({batch * max_runs + 1, dim}, hidden.options())
                  .index_add(0, flat_target, hidden.reshape({batch * frames, dim}));
  auto counts = torch::zeros({batch * max_runs + 1}, hidden.options())
                    .index_add(0, flat_target, torch::ones({batch * frames}, hidden.options()));
  auto means = sums.narrow(0, 0, batch * max_runs) / counts.narrow(0, 0, batch * max_runs).clamp_min(1).unsqueeze(1);

  CtcCompressed out;
  out.hidden = means.view({batch, max_runs, dim});
  out.lengths = run_lengths;
  out.runs_before = torch::cat({torch::zeros({batch, 1}, runs_through.options()), runs_through}, 1);
  return out;
}

}  // namespace jstip::graph
