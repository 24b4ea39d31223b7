#include "host/graph/ctc_viterbi.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace jstip::graph {

int64_t ctc_min_frames(const std::vector<int64_t>& targets) {
  int64_t frames = static_cast<int64_t>(targets.size());
  for (size_t i = 1; i < targets.size(); ++i) frames += targets[i] == targets[i - 1] ? 1 : 0;
  return frames;
}

std::vector<CtcPath> ctc_viterbi(const torch::Tensor& log_probs, const torch::Tensor& lengths,
                                 const std::vector<std::vector<int64_t>>& targets, int64_t blank) {
  if (log_probs.dim() != 3) throw std::invalid_argument("ctc_viterbi: log_probs must be [B, T, V]");
  const int64_t rows = log_probs.size(0), frames = log_probs.size(1), vocab = log_probs.size(2);
  if (static_cast<int64_t>(targets.size()) != rows || lengths.numel() != rows)
    throw std::invalid_argument("ctc_viterbi: " + std::to_string(targets.size()) + " transcripts and " +
                                std::to_string(lengths.numel()) + " lengths for " + std::to_string(rows) + " rows");
  if (blank < 0 || blank >= vocab)
    throw std::invalid_argument("ctc_viterbi: blank " + std::to_string(blank) + " outside the " +
                                std::to_string(vocab) + " outputs");
  const auto length_cpu = lengths.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* length = length_cpu.data_ptr<int64_t>();

  std::vector<CtcPath> out(rows);
  int64_t longest_targets = 0;
  for (int64_t b = 0; b < rows; ++b) {
    const auto& y = targets[b];
    for (int64_t t : y)
      if (t < 0 || t >= vocab || t == blank)
        throw std::invalid_argument("ctc_viterbi: row " + std::to_string(b) + " has unit id " + std::to_string(t) +
                                    ", not a non-blank output of the " + std::to_string(vocab) + "-output head");
    if (length[b] < 0 || length[b] > frames)
      throw std::invalid_argument("ctc_viterbi: row " + std::to_string(b) + " length " + std::to_string(length[b]) +
                                  " outside 0.." + std::to_string(frames));
    const int64_t needed = ctc_min_frames(y);
    if (y.empty()) {
      out[b].error = "empty transcript: nothing to align";
    } else if (needed > length[b]) {
      out[b].error = "transcript of " + std::to_string(y.size()) + " units needs at least " + std::to_string(needed) +
                     " encoder frames, the audio gives " + std::to_string(length[b]) +
                     " (transcript too long for the audio, or the wrong audio)";
    } else {
      out[b].ok = true;
      // Only rows that can align size the state space: a failed row's huge
      // transcript costs nothing.
      longest_targets = std::max<int64_t>(longest_targets, static_cast<int64_t>(y.size()));
    }
  }
  if (longest_targets == 0) return out;  // no row can align
  const int64_t states = 2 * longest_targets + 1;

  // Extended label sequence per row (blank between and around the units) and
  // where the skip transition s-2 -> s is allowed: into a unit that differs
  // from the unit two states back.
  std::vector<int64_t> ext(rows * states, blank);
  std::vector<uint8_t> skip(rows * states, 0);
  for (int64_t b = 0; b < rows; ++b)
    for (size_t k = 0; out[b].ok && k < targets[b].size(); ++k) {
      const int64_t s = 2 * static_cast<int64_t>(k) + 1;
      ext[b * states + s] = targets[b][k];
      skip[b * states + s] = k > 0 && targets[b][k] != targets[b][k - 1];
    }
  const auto device = log_probs.device();
  const auto ext_t = torch::tensor(ext, torch::kLong).view({rows, states}).to(device);
  const auto no_skip = torch::tensor(skip, torch::kUInt8).view({rows, states}).to(device).logical_not();
  // emit[b, t, s] = log p(ext[b, s] | frame t)
  const auto emit = log_probs.to(torch::kFloat).gather(2, ext_t.unsqueeze(1).expand({rows, frames, states})).contiguous();

  const float neg_inf = -std::numeric_limits<float>::infinity();
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(device);
  auto alpha = torch::full({rows, states}, neg_inf, opts);
  auto backpointer = torch::zeros({frames, rows, states}, torch::TensorOptions().dtype(torch::kUInt8).device(device));
  if (frames > 0) {
    alpha.narrow(1, 0, 1).copy_(emit.select(1, 0).narrow(1, 0, 1));
    if (states > 1) alpha.narrow(1, 1, 1).copy_(emit.select(1, 0).narrow(1, 1, 1));
  }
  const auto pad1 = torch::full({rows, 1}, neg_inf, opts), pad2 = torch::full({rows, 2}, neg_inf, opts);
  const auto frame_lengths = length_cpu.to(device).unsqueeze(1);  // [B, 1]
  for (int64_t t = 1; t < frames; ++t) {
    auto from_prev = torch::cat({pad1, alpha.narrow(1, 0, states - 1)}, 1);
    auto from_skip = states > 2 ? torch::cat({pad2, alpha.narrow(1, 0, states - 2)}, 1).masked_fill(no_skip, neg_inf)
                                : torch::full({rows, states}, neg_inf, opts);
    auto [best, arg] = torch::stack({alpha, from_prev, from_skip}, 0).max(0);
    const auto active = frame_lengths.gt(t);  // rows still inside their audio
    alpha = torch::where(active, best + emit.select(1, t), alpha);
    backpointer[t].copy_(arg.to(torch::kUInt8));
  }

  const auto alpha_cpu = alpha.to(torch::kCPU).contiguous();
  const auto bp_cpu = backpointer.to(torch::kCPU).contiguous();
  const auto emit_cpu = emit.to(torch::kCPU).contiguous();
  const auto a = alpha_cpu.accessor<float, 2>();
  const auto bp = bp_cpu.accessor<uint8_t, 3>();
  const auto e = emit_cpu.accessor<float, 3>();
  for (int64_t b = 0; b < rows; ++b) {
    CtcPath& path = out[b];
    if (!path.ok) continue;
    const int64_t last_state = 2 * static_cast<int64_t>(targets[b].size());  // the final blank
    int64_t s = a[b][last_state] >= a[b][last_state - 1] ? last_state : last_state - 1;
    if (!std::isfinite(a[b][s])) {  // e.g. every frame gives some unit probability 0
      path.ok = false;
      path.error = "no CTC path with finite probability spells the transcript";
      continue;
    }
    path.log_prob = a[b][s];
    const int64_t n = length[b];
    path.frame_token.assign(n, -1);
    path.frame_log_prob.assign(n, 0.0f);
    for (int64_t t = n - 1; t >= 0; --t) {
      path.frame_token[t] = s % 2 == 1 ? s / 2 : -1;
      path.frame_log_prob[t] = e[b][t][s];
      if (t > 0) s -= bp[t][b][s];
    }
  }
  return out;
}

}  // namespace jstip::graph
