// Model throughput on the current machine (CPU here; the code is device-agnostic).
//   bench_models [--benchmark_filter=...]
// Encoders: frames/s of forward+backward on a [4, 400, 80] fbank batch.
// LLMs: tokens/s of forward+backward on [4, 128] tokens.
// Decoding: tokens/s of greedy decoding (prompt 64, 32 new tokens, batch 4),
// with the KV cache versus recomputing the whole prefix every step.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include "conformer_encoder.h"
#include "gpt2_model.h"
#include "jstip/nn/freeze.h"
#include "llama_model.h"
#include "option_config.h"
#include "transformer_encoder.h"

namespace {

using Options = std::map<std::string, std::string>;
using jstip::testing::make_config;

const Options kEncoderSizes[] = {
    {{"d_model", "144"}, {"num_layers", "4"}, {"num_heads", "4"}, {"ffn_dim", "576"}},
    {{"d_model", "256"}, {"num_layers", "8"}, {"num_heads", "4"}, {"ffn_dim", "1024"}},
};
const Options kLlamaSizes[] = {
    {{"vocab_size", "8000"}, {"hidden_size", "256"}, {"intermediate_size", "688"}, {"num_layers", "4"},
     {"num_heads", "4"}, {"num_key_value_heads", "2"}},
    {{"vocab_size", "16000"}, {"hidden_size", "512"}, {"intermediate_size", "1376"}, {"num_layers", "8"},
     {"num_heads", "8"}, {"num_key_value_heads", "4"}},
};
const Options kGpt2Sizes[] = {
    {{"vocab_size", "8000"}, {"hidden_size", "256"}, {"num_layers", "4"}, {"num_heads", "4"}},
    {{"vocab_size", "16000"}, {"hidden_size", "512"}, {"num_layers", "8"}, {"num_heads", "8"}},
};

template <typename Encoder, size_t N>
void encoder_step(benchmark::State& state, const jstip_option_desc (&table)[N], Options options) {
  options["dropout"] = "0.0";
  torch::manual_seed(0);
  Encoder encoder(make_config(table, options));
  auto feats = torch::randn({4, 400, 80});
  auto lengths = torch::tensor({400, 380, 350, 300}, torch::kInt64);
  for (auto _ : state) {
    encoder.zero_grad();
    encoder.encode(feats, lengths).hidden.pow(2).mean().backward();
  }
  state.SetItemsProcessed(state.iterations() * lengths.sum().item<int64_t>());
  state.counters["params_M"] = static_cast<double>(jstip::nn::parameter_count(encoder)) / 1e6;
}

template <typename Llm>
void llm_step(benchmark::State& state, Llm& model) {
  const int64_t b = 4, t = 128;
  auto tokens = torch::randint(model.vocab_size(), {b, t});
  auto mask = torch::ones({b, t}, torch::kBool);
  auto positions = torch::arange(t).unsqueeze(0).expand({b, t});
  for (auto _ : state) {
    model.zero_grad();
    auto logits = model.forward_embeddings(model.embed(tokens), mask, positions, nullptr).logits;
    torch::nn::functional::cross_entropy(logits.reshape({-1, model.vocab_size()}), tokens.flatten()).backward();
  }
  state.SetItemsProcessed(state.iterations() * b * t);
}

// Greedy decoding of `steps` tokens after a prompt, with or without the cache.
template <typename Llm>
void decode(benchmark::State& state, Llm& model, bool use_cache) {
  torch::InferenceMode inference;
  const int64_t b = 4, prompt = 64, steps = 32;
  auto prompt_tokens = torch::randint(model.vocab_size(), {b, prompt});
  for (auto _ : state) {
    auto tokens = prompt_tokens;
    jstip::KVCache cache;
    auto next = tokens;  // what the model reads this step
    for (int64_t s = 0; s < steps; ++s) {
      int64_t total = tokens.size(1);
      auto input = use_cache ? next : tokens;
      int64_t start = total - input.size(1);
      auto positions = torch::arange(start, total).unsqueeze(0).expand({b, input.size(1)});
      auto mask = torch::ones({b, total}, torch::kBool);
      auto logits = model.forward_embeddings(model.embed(input), mask, positions, use_cache ? &cache : nullptr).logits;
      next = logits.select(1, -1).argmax(-1, true);
      tokens = torch::cat({tokens, next}, 1);
    }
    benchmark::DoNotOptimize(tokens);
  }
  state.SetItemsProcessed(state.iterations() * b * steps);
}

template <typename Llm, size_t N>
void register_llm(const std::string& name, const jstip_option_desc (&table)[N], const Options (&sizes)[2]) {
  for (int size = 0; size < 2; ++size) {
    auto model = std::make_shared<Llm>(make_config(table, sizes[size]));
    std::string tag = name + "/" + (size == 0 ? "tiny" : "small");
    benchmark::RegisterBenchmark((tag + "/fwd_bwd").c_str(), [model](benchmark::State& s) { llm_step(s, *model); })
        ->Unit(benchmark::kMillisecond);
    for (bool cache : {true, false})
      benchmark::RegisterBenchmark((tag + (cache ? "/decode_kv_cache" : "/decode_no_cache")).c_str(),
                                   [model, cache](benchmark::State& s) { decode(s, *model, cache); })
          ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int size = 0; size < 2; ++size) {
    std::string tag = size == 0 ? "tiny" : "small";
    Options options = kEncoderSizes[size];
    benchmark::RegisterBenchmark(("conformer/" + tag + "/fwd_bwd").c_str(), [options](benchmark::State& s) {
      encoder_step<jstip::conformer::ConformerEncoder>(s, jstip::conformer::kConformerOptions, options);
    })->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("transformer/" + tag + "/fwd_bwd").c_str(), [options](benchmark::State& s) {
      encoder_step<jstip::transformer::TransformerEncoder>(s, jstip::transformer::kTransformerOptions, options);
    })->Unit(benchmark::kMillisecond);
  }
  register_llm<jstip::llama::LlamaModel>("llama", jstip::llama::kLlamaOptions, kLlamaSizes);
  register_llm<jstip::gpt2::Gpt2Model>("gpt2", jstip::gpt2::kGpt2Options, kGpt2Sizes);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
