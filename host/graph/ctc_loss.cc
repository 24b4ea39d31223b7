#include "host/graph/ctc_loss.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>

#include "host/graph/ctc_units.h"
#include "host/graph/speech_llm.h"

namespace jstip::graph {

CtcLossSum ctc_loss_sum(const SpeechEmbeddings& speech, const std::vector<std::vector<int64_t>>& transcripts) {
  if (!speech.ctc_logits.defined())
    throw std::invalid_argument("a CTC loss needs an encoder CTC head: set encoder.ctc_vocab to the tokenizer size + 1");
  const int64_t rows = speech.ctc_logits.size(0), vocab = speech.ctc_logits.size(2);
  if (static_cast<int64_t>(transcripts.size()) != rows)
    throw std::invalid_argument("ctc_loss_sum: " + std::to_string(transcripts.size()) + " transcripts for " +
                                std::to_string(rows) + " audio rows");
  const int64_t blank = vocab - 1;
  std::vector<int64_t> flat, lengths;
  for (const auto& tokens : transcripts) {
    for (int64_t t : tokens)
      if (t < 0 || t >= blank)
        throw std::invalid_argument("token id " + std::to_string(t) + " does not fit the encoder's CTC head of " +
                                    std::to_string(vocab) + " outputs (the last is the blank): set encoder.ctc_vocab "
                                    "to the tokenizer size + 1 (trainer.ctc_units: pieces) or " +
                                    std::to_string(CtcUnits::alphabet().size() + 1) + " (chars)");
    flat.insert(flat.end(), tokens.begin(), tokens.end());
    lengths.push_back(static_cast<int64_t>(tokens.size()));
  }
  const auto device = speech.ctc_logits.device();
  // [T, B, V] log-probabilities in fp32 (also under bf16 autocast).
  auto log_probs = speech.ctc_logits.to(torch::kFloat).log_softmax(-1).transpose(0, 1);
  auto loss = torch::ctc_loss(log_probs, torch::tensor(flat, torch::kLong).to(device),
                              speech.encoder_lengths.to(torch::kLong).to(device),
                              torch::tensor(lengths, torch::kLong).to(device), blank, at::Reduction::Sum,
                              /*zero_infinity=*/true);
  CtcLossSum out;
  out.sum = loss;
  for (auto l : lengths) out.targets += l;
  return out;
}

}  // namespace jstip::graph
