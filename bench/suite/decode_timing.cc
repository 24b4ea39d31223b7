#include "bench/suite/decode_timing.h"

#include <torch/torch.h>

#include <chrono>
#include <stdexcept>

#include "host/decode/search.h"
#include "host/graph/speech_groups.h"
#include "jstip/llm.h"

namespace jstip::bench {

double greedy_decode_seconds(LanguageModel& llm, int64_t batch, int64_t prefix, int64_t new_tokens) {
  torch::InferenceMode inference;
  torch::manual_seed(3);
  decode::SearchInput input;
  input.embeddings = llm.embed(torch::randint(llm.vocab_size(), {batch, prefix}));
  input.key_mask = torch::ones({batch, prefix}, torch::kBool);
  input.positions = torch::arange(prefix).unsqueeze(0).expand({batch, prefix}).contiguous();
  input.max_new_tokens.assign(batch, new_tokens);
  decode::SearchOptions options;
  options.eos = -1;           // only the length limit ends a row
  options.repeat_ngram = 0;   // plain greedy, like a generate loop
  const auto start = std::chrono::steady_clock::now();
  const auto hypotheses = decode::greedy_search(llm, input, options);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& h : hypotheses)
    if (static_cast<int64_t>(h.tokens.size()) != new_tokens) throw std::logic_error("greedy decode stopped early");
  return seconds;
}

double encode_seconds(graph::SpeechLLM& model, const torch::Tensor& features, const torch::Tensor& lengths,
                      int64_t max_padded_frames) {
  torch::InferenceMode inference;
  model.eval();
  const auto start = std::chrono::steady_clock::now();
  graph::encode_speech_in_groups(model, features, lengths, max_padded_frames);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.train();
  return seconds;
}

}  // namespace jstip::bench
