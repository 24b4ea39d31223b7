#include "host/graph/speech_groups.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>

namespace jstip::graph {
namespace {

// `parts[i]` [b_i, T_i, ...] -> [sum b_i, max T_i, ...]; `edge`: pad by repeating the last step.
torch::Tensor stack_padded(const std::vector<torch::Tensor>& parts, bool edge) {
  if (!parts.front().defined()) return {};
  int64_t longest = 0;
  for (const auto& p : parts) {
    if (!p.defined()) throw std::invalid_argument("stack_speech_rows: a field is defined in some parts only");
    longest = std::max(longest, p.size(1));
  }
  std::vector<torch::Tensor> padded;
  for (const auto& p : parts) {
    const int64_t missing = longest - p.size(1);
    if (missing == 0) {
      padded.push_back(p);
      continue;
    }
    auto shape = p.sizes().vec();
    shape[1] = missing;
    padded.push_back(torch::cat({p, edge ? p.narrow(1, p.size(1) - 1, 1).expand(shape) : torch::zeros(shape, p.options())}, 1));
  }
  return torch::cat(padded, 0);
}

}  // namespace

SpeechEmbeddings stack_speech_rows(const std::vector<SpeechEmbeddings>& parts) {
  if (parts.empty()) throw std::invalid_argument("stack_speech_rows: no parts");
  if (parts.size() == 1) return parts.front();
  auto field = [&](torch::Tensor SpeechEmbeddings::*member) {
    std::vector<torch::Tensor> tensors;
    for (const auto& p : parts) tensors.push_back(p.*member);
    return tensors;
  };
  SpeechEmbeddings out;
  out.embeddings = stack_padded(field(&SpeechEmbeddings::embeddings), false);
  out.lengths = torch::cat(field(&SpeechEmbeddings::lengths), 0);
  out.ctc_logits = stack_padded(field(&SpeechEmbeddings::ctc_logits), false);
  out.encoder_lengths = torch::cat(field(&SpeechEmbeddings::encoder_lengths), 0);
  out.runs_before = stack_padded(field(&SpeechEmbeddings::runs_before), true);
  return out;
}

SpeechEmbeddings encode_speech_in_groups(SpeechLLM& model, const torch::Tensor& features, const torch::Tensor& lengths,
                                         int64_t max_padded_frames, const torch::Tensor& covered) {
  const int64_t rows = features.size(0);
  if (max_padded_frames <= 0 || rows * features.size(1) <= max_padded_frames)
    return model.encode_speech(features, lengths, covered);
  const auto frames = lengths.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t* n = frames.data_ptr<int64_t>();
  std::vector<SpeechEmbeddings> parts;
  for (int64_t begin = 0; begin < rows;) {
    int64_t end = begin + 1, longest = n[begin];
    while (end < rows && (end - begin + 1) * std::max(longest, n[end]) <= max_padded_frames)
      longest = std::max(longest, n[end++]);
    parts.push_back(model.encode_speech(features.narrow(0, begin, end - begin).narrow(1, 0, longest),
                                        lengths.narrow(0, begin, end - begin),
                                        covered.defined() ? covered.narrow(0, begin, end - begin) : covered));
    begin = end;
  }
  return stack_speech_rows(parts);
}

}  // namespace jstip::graph
