// The composed speech-LLM trains on interleaved batches, whatever plugins
// fill its slots (swapped by config only).
#include "host/graph/speech_llm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"

namespace {

using namespace jstip;

host::Composition compose_tiny(const std::vector<std::string>& overrides) {
  Config config = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, overrides);
  host::ComposeOptions options;
  options.need_interleaver = true;
  return host::compose(config, options);
}

// Two utterances of 1.2 s and 0.8 s (120 and 80 fbank frames) with word timings.
std::vector<PlanInput> samples() {
  std::vector<PlanInput> inputs(2);
  for (int b = 0; b < 2; ++b) {
    auto& in = inputs[b];
    in.id = "utt" + std::to_string(b);
    in.has_audio = in.has_timings = true;
    in.special = {1, 2, 3, 4};
    int words = b == 0 ? 6 : 4;
    for (int w = 0; w < words; ++w) in.words.push_back({"w", 0.2 * w, 0.2 * w + 0.18, {10 + w + b, 20 + w}});
  }
  return inputs;
}

double train_steps(host::Composition composition, int steps) {
  torch::manual_seed(0);
  graph::SpeechLLM model(composition);
  auto features = torch::randn({2, 120, 80});
  auto lengths = torch::tensor({120, 80}, torch::kLong);
  auto inputs = samples();
  std::mt19937_64 rng(3);
  std::vector<Plan> plans;
  for (auto& in : inputs) plans.push_back(composition.interleaver->plan(in, rng));
  std::vector<graph::PlannedSample> planned = {{&plans[0], &inputs[0], 0}, {&plans[1], &inputs[1], 1}};

  torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(3e-3));
  double first = 0, last = 0;
  for (int step = 0; step < steps; ++step) {
    auto speech = model.encode_speech(features, lengths);
    auto batch = model.splice_plans(planned, speech);
    auto result = model.loss(batch);
    EXPECT_TRUE(std::isfinite(result.loss.item<double>()));
    EXPECT_GT(result.targets, 0);
    optimizer.zero_grad();
    result.loss.backward();
    optimizer.step();
    (step == 0 ? first : last) = result.loss.item<double>();
  }
  EXPECT_LT(last, first) << "loss did not decrease";
  return last;
}

TEST(SpeechLLM, TrainsOnInterleavedBatches) { train_steps(compose_tiny({}), 8); }

TEST(SpeechLLM, ConformerAndGpt2SwapInByConfig) {
  train_steps(compose_tiny({"encoder.type=conformer", "encoder.d_model=48", "encoder.num_layers=1",
                            "encoder.num_heads=4", "encoder.ffn_dim=96"}),
              3);
  train_steps(compose_tiny({"llm.type=gpt2", "llm.vocab_size=256", "llm.hidden_size=64", "llm.num_layers=1",
                            "llm.num_heads=4"}),
              3);
}

TEST(SpeechLLM, WordSpeechSpanComesFromItsFramesThroughTheRealGraph) {
  auto composition = compose_tiny({});
  graph::SpeechLLM model(composition);
  model.eval();
  EXPECT_EQ(model.frame_mapper().downsampling, 4 * 2);  // conv2d x4, stack 2
  auto features = torch::randn({1, 120, 80});
  auto speech = model.encode_speech(features, torch::tensor({120}, torch::kLong));
  auto inputs = samples();
  Plan plan;
  plan.spans.resize(1);
  plan.spans[0].modality = Span::Modality::Speech;
  plan.spans[0].word_begin = 2;
  plan.spans[0].word_end = 3;  // 0.40-0.58 s -> projected frames [5, 8)
  auto batch = model.splice_plans({{&plan, &inputs[0], 0}}, speech);
  ASSERT_EQ(batch.lengths[0], 3);
  EXPECT_TRUE(torch::equal(batch.embeddings[0], speech.embeddings[0].slice(0, 5, 8)));
}

}  // namespace

// Per-utterance feature normalization: each row's valid frames get mean 0 and
// variance 1 per bin; padding stays 0 and does not enter the statistics.
TEST(FeatureNorm, NormalizesEachRowOverItsOwnFrames) {
  auto features = torch::tensor({1.0f, 3.0f, 100.0f, 2.0f, 4.0f, 6.0f}).view({2, 3, 1});
  auto lengths = torch::tensor({2, 3}, torch::kLong);
  auto out = jstip::graph::normalize_per_utterance(features, lengths);
  const float s = 1.0f / std::sqrt(1.0f + 1e-5f), t = std::sqrt(1.5f) / std::sqrt(1.0f + 1.5e-5f);
  auto expected = torch::tensor({-s, s, 0.0f, -t, 0.0f, t}).view({2, 3, 1});
  EXPECT_TRUE(torch::allclose(out, expected, 1e-4, 1e-5)) << out;
}

// speech.spec_augment masks the encoder's input in training mode only, the
// same way for the same torch seed (the trainer seeds it every step).
TEST(SpecAugment, MasksTrainingInputOnlyAndFollowsTheTorchSeed) {
  torch::manual_seed(0);
  jstip::graph::SpeechLLM model(compose_tiny(
      {"encoder.dropout=0", "speech.spec_augment={num_time_masks: 2, max_time_width: 20, max_time_ratio: 0.5}"}));
  auto features = torch::randn({2, 120, 80});
  auto lengths = torch::tensor({120, 90}, torch::kLong);
  torch::NoGradGuard no_grad;
  model.eval();
  auto clean = model.encode_speech(features, lengths).embeddings;
  EXPECT_TRUE(torch::equal(clean, model.encode_speech(features, lengths).embeddings));
  model.train();
  torch::manual_seed(7);
  auto masked = model.encode_speech(features, lengths).embeddings;
  torch::manual_seed(7);
  auto again = model.encode_speech(features, lengths).embeddings;
  torch::manual_seed(8);
  auto other = model.encode_speech(features, lengths).embeddings;
  EXPECT_FALSE(torch::allclose(clean, masked)) << "training mode did not mask";
  EXPECT_TRUE(torch::equal(masked, again)) << "the same seed gave different masks";
  EXPECT_FALSE(torch::equal(masked, other)) << "another seed gave the same masks";
}

TEST(SpecAugment, ConfigErrorsNameTheKey) {
  try {
    jstip::graph::SpeechLLM model(compose_tiny({"speech.spec_augment={num_time_mask: 2}"}));
    FAIL() << "a misspelled key was accepted";
  } catch (const jstip::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("num_time_mask"), std::string::npos) << e.what();
  }
  EXPECT_THROW(jstip::graph::SpeechLLM(compose_tiny({"speech.spec_augment={max_time_ratio: 2}"})), jstip::ConfigError);
  EXPECT_THROW(jstip::graph::SpeechLLM(compose_tiny({"speech.spec_augment=true"})), jstip::ConfigError);
}
