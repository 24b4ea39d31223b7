#include "host/decode/ctc_greedy.h"

#include <torch/torch.h>

namespace jstip::decode {

std::vector<CtcGreedyPath> ctc_greedy(const torch::Tensor& ctc_logits, const torch::Tensor& lengths) {
  TORCH_CHECK(ctc_logits.dim() == 3, "ctc_greedy: logits must be [batch, frames, units]");
  const int64_t blank = ctc_logits.size(2) - 1;
  auto [best_log_prob, best] = torch::log_softmax(ctc_logits.to(torch::kFloat), -1).max(-1);  // [B, T]
  const int64_t frames = best.size(1);
  auto valid = torch::arange(frames, lengths.options().dtype(torch::kLong)).unsqueeze(0) <
               lengths.to(torch::kLong).unsqueeze(1);
  // A frame emits when it is valid, not blank and not a repeat of the frame before.
  auto previous = torch::cat({torch::full({best.size(0), 1}, -1, best.options()), best.narrow(1, 0, frames - 1)}, 1);
  auto emits = (valid & (best != blank) & (best != previous)).to(torch::kCPU);
  auto path_log_prob = (best_log_prob * valid.to(best_log_prob.dtype())).sum(1).to(torch::kCPU).to(torch::kDouble);
  best = best.to(torch::kCPU);

  std::vector<CtcGreedyPath> paths(static_cast<size_t>(best.size(0)));
  for (int64_t b = 0; b < best.size(0); ++b) {
    auto kept = best[b].masked_select(emits[b]).contiguous();
    const int64_t* ids = kept.data_ptr<int64_t>();
    paths[size_t(b)].units.assign(ids, ids + kept.numel());
    paths[size_t(b)].log_prob = path_log_prob[b].item<double>();
  }
  return paths;
}

}  // namespace jstip::decode
