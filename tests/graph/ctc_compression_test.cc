// CTC compression keeps one vector per unit the CTC head fires, in order, and
// word times still find their speech through the kept runs.
#include "host/graph/ctc_compression.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "host/graph/frame_mapper.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/config.h"
#include "jstip/llm.h"

namespace {

using namespace jstip;
using FrameSpan = std::pair<int64_t, int64_t>;

// Logits [B, T, 4] (blank = 3) whose best unit on each frame is `best`.
torch::Tensor logits_for(const std::vector<std::vector<int64_t>>& best, int64_t frames) {
  auto logits = torch::zeros({static_cast<int64_t>(best.size()), frames, 4});
  for (size_t b = 0; b < best.size(); ++b)
    for (size_t t = 0; t < best[b].size(); ++t) logits[b][t][best[b][t]] = 5.0;
  return logits;
}

TEST(CtcCompression, KeepsOneMeanVectorPerFiredRun) {
  // Row 0: _ a a _ b _ b c  -> runs a (frames 1-2), b (4), b (6), c (7).
  auto logits = logits_for({{3, 0, 0, 3, 1, 3, 1, 2}}, 8);
  auto hidden = torch::arange(16, torch::kFloat).view({1, 8, 2});
  auto out = graph::compress_by_ctc(hidden, torch::tensor({8}, torch::kLong), logits);
  ASSERT_EQ(out.lengths[0].item<int64_t>(), 4);
  auto expected = torch::stack({(hidden[0][1] + hidden[0][2]) / 2, hidden[0][4], hidden[0][6], hidden[0][7]});
  EXPECT_TRUE(torch::allclose(out.hidden[0], expected)) << out.hidden;
  EXPECT_TRUE(torch::equal(out.runs_before[0], torch::tensor({0, 0, 1, 1, 1, 2, 2, 3, 4}, torch::kLong)))
      << out.runs_before;
}

TEST(CtcCompression, PaddingNeverFiresAndASilentRowKeepsItsLeastBlankFrame) {
  // Row 1 is 3 frames long and all blank; its padding "fires" unit 0, which must not count.
  auto logits = logits_for({{0, 3, 1, 3, 2}, {3, 3, 3, 0, 0}}, 5);
  logits[1][2][0] = 4.5;  // frame 2 of row 1: the least sure blank
  auto hidden = torch::randn({2, 5, 3}, torch::requires_grad());
  auto out = graph::compress_by_ctc(hidden, torch::tensor({5, 3}, torch::kLong), logits);
  EXPECT_TRUE(torch::equal(out.lengths, torch::tensor({3, 1}, torch::kLong)));
  ASSERT_EQ(out.hidden.size(1), 3);
  EXPECT_TRUE(torch::allclose(out.hidden[1][0], hidden[1][2]));
  EXPECT_TRUE(torch::equal(out.hidden[1].slice(0, 1), torch::zeros({2, 3}))) << "padding rows stay zero";
  // Gradients reach exactly the frames that were kept.
  out.hidden.sum().backward();
  auto touched = hidden.grad().abs().sum(-1) > 0;
  EXPECT_TRUE(torch::equal(touched, torch::tensor({{1, 0, 1, 0, 1}, {0, 0, 1, 0, 0}}, torch::kBool))) << touched;
}

TEST(CtcCompression, NeedsACtcHead) {
  EXPECT_THROW(graph::compress_by_ctc(torch::zeros({1, 2, 2}), torch::tensor({2}, torch::kLong), torch::Tensor()),
               std::invalid_argument);
}

TEST(CompressedFrameMapper, WordTimesFindTheRunsThatStartInsideThem) {
  // Encoder frames of 40 ms (10 ms hop x 4); runs start at encoder frames 1, 4, 6, 7.
  graph::CompressedFrameMapper mapper{{0.01, 4}, 1, {{0, 0, 1, 1, 1, 2, 2, 3, 4}}};
  EXPECT_EQ(mapper.frames(0.04, 0.12, 0, 4), (FrameSpan{0, 1}));  // frames 1-2: run 0
  EXPECT_EQ(mapper.frames(0.12, 0.28, 0, 4), (FrameSpan{1, 3}));  // frames 3-6: runs 1, 2
  EXPECT_EQ(mapper.frames(0.28, 0.32, 0, 4), (FrameSpan{3, 4}));  // frame 7: run 3
  // A word where nothing fired still gets one vector, the next run.
  EXPECT_EQ(mapper.frames(0.0, 0.04, 0, 4), (FrameSpan{0, 1}));
  // A stacking projector halves the runs.
  graph::CompressedFrameMapper stacked{{0.01, 4}, 2, {{0, 0, 1, 1, 1, 2, 2, 3, 4}}};
  EXPECT_EQ(stacked.frames(0.12, 0.28, 0, 2), (FrameSpan{0, 2}));
  EXPECT_THROW(mapper.frames(0.0, 0.1, 1, 4), std::out_of_range);
}

host::Composition compose_compressed(const std::vector<std::string>& overrides) {
  Config config = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, overrides);
  host::ComposeOptions options;
  options.need_interleaver = true;
  return host::compose(config, options);
}

TEST(CtcCompression, SpeechLlmProjectsOnlyTheFiredFrames) {
  auto composition = compose_compressed({"speech.compress=ctc", "encoder.ctc_vocab=256", "projector.stack=1"});
  torch::manual_seed(0);
  graph::SpeechLLM model(composition);
  model.eval();
  auto features = torch::randn({2, 120, 80});
  auto speech = model.encode_speech(features, torch::tensor({120, 80}, torch::kLong));
  ASSERT_TRUE(speech.runs_before.defined());
  auto runs = graph::compress_by_ctc(speech.ctc_logits, speech.encoder_lengths, speech.ctc_logits);
  EXPECT_TRUE(torch::equal(speech.lengths, runs.lengths));
  EXPECT_TRUE(torch::equal(speech.runs_before, runs.runs_before));
  // A word's speech span reads the runs that start inside it.
  PlanInput input;
  input.id = "utt";
  input.has_audio = input.has_timings = true;
  for (int w = 0; w < 6; ++w) input.words.push_back({"w", 0.2 * w, 0.2 * w + 0.2, {10 + w}});
  Plan plan;
  plan.spans.resize(1);
  plan.spans[0].modality = Span::Modality::Speech;
  plan.spans[0].word_begin = 2;
  plan.spans[0].word_end = 4;  // 0.4-0.8 s = encoder frames [10, 20)
  auto batch = model.splice_plans({{&plan, &input, 0}}, speech);
  const int64_t first = speech.runs_before[0][10].item<int64_t>(), last = speech.runs_before[0][20].item<int64_t>();
  const int64_t expected = std::max<int64_t>(1, last - first);
  ASSERT_EQ(batch.lengths[0], expected);
  EXPECT_TRUE(torch::equal(batch.embeddings[0], speech.embeddings[0].slice(0, first, first + expected)));
}

TEST(CtcCompression, PosteriorEmbeddingAddsTheLlmEmbeddingOfEachRunsMeanPosterior) {
  const std::vector<std::string> base = {"speech.compress=ctc", "encoder.ctc_vocab=256", "projector.stack=1"};
  auto with_overrides = base;
  with_overrides.push_back("speech.posterior_embedding=true");
  torch::manual_seed(0);
  graph::SpeechLLM plain(compose_compressed(base));
  torch::manual_seed(0);
  graph::SpeechLLM with(compose_compressed(with_overrides));
  plain.eval();
  with.eval();
  torch::NoGradGuard no_grad;
  auto features = torch::randn({1, 120, 80});
  auto lengths = torch::tensor({120}, torch::kLong);
  auto a = plain.encode_speech(features, lengths), b = with.encode_speech(features, lengths);
  ASSERT_TRUE(torch::equal(a.ctc_logits, b.ctc_logits)) << "the two models differ beyond the option";
  ASSERT_TRUE(torch::equal(a.lengths, b.lengths));
  // Expected, frame by frame: each run's frames are those whose best unit is
  // not blank and that fall after the run's start (runs_before).
  const int64_t units = b.ctc_logits.size(2) - 1, frames = b.encoder_lengths[0].item<int64_t>();
  auto posteriors = torch::softmax(b.ctc_logits[0], -1);
  auto best = b.ctc_logits[0].argmax(-1);
  auto table = with.llm().embed(torch::arange(units).unsqueeze(0)).squeeze(0);
  auto sums = torch::zeros({a.lengths[0].item<int64_t>(), units});
  auto counts = torch::zeros({a.lengths[0].item<int64_t>(), 1});
  for (int64_t t = 0; t < frames; ++t) {
    if (best[t].item<int64_t>() == units) continue;
    const int64_t run = b.runs_before[0][t + 1].item<int64_t>() - 1;
    sums[run] += posteriors[t].slice(0, 0, units);
    counts[run] += 1;
  }
  ASSERT_GT(counts.min().item<float>(), 0) << "every run has frames";
  auto expected = torch::matmul(sums / counts, table);
  auto added = b.embeddings[0] - a.embeddings[0];
  EXPECT_TRUE(torch::allclose(added, expected, 1e-4, 1e-5)) << (added - expected).abs().max();
}

TEST(CtcCompression, ConfigErrorsNameTheKey) {
  try {
    graph::SpeechLLM model(compose_compressed({"speech.posterior_embedding=true", "encoder.ctc_vocab=256"}));
    FAIL() << "posterior_embedding without compression was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("speech.compress: ctc"), std::string::npos) << e.what();
  }
  try {
    graph::SpeechLLM model(compose_compressed({"speech.compress=ctc"}));
    FAIL() << "an encoder without a CTC head was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("encoder.ctc_vocab"), std::string::npos) << e.what();
  }
  try {
    graph::SpeechLLM model(compose_compressed({"speech.compres=ctc"}));
    FAIL() << "a typo in the speech section was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("compres"), std::string::npos) << e.what();
  }
  EXPECT_THROW(graph::SpeechLLM(compose_compressed({"speech.compress=blanks", "encoder.ctc_vocab=256"})), ConfigError);
}

}  // namespace
