#include "host/graph/plan_executor.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace {

using namespace jstip;
using namespace jstip::graph;

constexpr int64_t kHidden = 4;

// Speech frame f of audio row r holds the value 1000*r + f in every channel,
// so a gathered vector says exactly which frame it came from.
torch::Tensor labelled_speech(int64_t rows, int64_t frames) {
  auto values = torch::arange(frames, torch::kFloat).unsqueeze(0) + 1000 * torch::arange(rows, torch::kFloat).unsqueeze(1);
  return values.unsqueeze(-1).expand({rows, frames, kHidden}).contiguous();
}

// Text token t embeds as -t in every channel (negative: never a frame value).
torch::Tensor embed(const torch::Tensor& tokens) {
  return (-tokens.to(torch::kFloat)).unsqueeze(-1).expand({tokens.size(0), kHidden}).contiguous();
}

PlanInput timed_sample() {
  PlanInput input;
  input.id = "utt1";
  input.has_audio = input.has_timings = true;
  input.words = {{"the", 0.10, 0.30, {10}}, {"cat", 0.35, 0.52, {11, 12}}, {"sat", 0.52, 0.81, {13}}};
  return input;
}

Span text(std::vector<int32_t> tokens, std::vector<uint8_t> loss, int32_t begin = 0, int32_t end = 0) {
  Span s;
  s.tokens = std::move(tokens);
  s.loss = std::move(loss);
  s.word_begin = begin;
  s.word_end = end;
  return s;
}

Span speech(int32_t begin, int32_t end) {
  Span s;
  s.modality = Span::Modality::Speech;
  s.word_begin = begin;
  s.word_end = end;
  return s;
}

TEST(FrameMapper, MapsTimesThroughEveryDownsampling) {
  FrameMapper mapper{0.01, 8};  // 10 ms fbank, encoder x4, projector x2: 12.5 frames/s
  EXPECT_DOUBLE_EQ(mapper.frames_per_second(), 12.5);
  EXPECT_EQ(mapper.frames(0.52, 0.81, 100), (std::pair<int64_t, int64_t>{6, 11}));
  EXPECT_EQ(mapper.frames(0.0, 0.01, 100), (std::pair<int64_t, int64_t>{0, 1}));   // shorter than a frame
  EXPECT_EQ(mapper.frames(7.9, 9.0, 100), (std::pair<int64_t, int64_t>{98, 100}));  // clamped to the audio
}

TEST(Splice, WordSpeechSliceIsWhereItsTimingSays) {
  PlanInput input = timed_sample();
  Plan plan;  // <s> the* [speech: sat] </s>*
  plan.spans = {text({1}, {0}), text({10}, {1}, 0, 1), speech(2, 3), text({2}, {1})};
  FrameMapper mapper{0.01, 8};
  auto audio = labelled_speech(2, 20);
  auto lengths = torch::tensor({20, 15}, torch::kLong);
  SplicedBatch batch = splice({{&plan, &input, 1}}, audio, lengths, embed, mapper);

  // "sat" spans 0.52-0.81 s = frames [6, 11) of audio row 1.
  ASSERT_EQ(batch.lengths, std::vector<int64_t>{2 + 5 + 1});
  auto row = batch.embeddings[0].select(1, 0);
  std::vector<float> expected = {-1, -10, 1006, 1007, 1008, 1009, 1010, -2};
  for (int64_t t = 0; t < 8; ++t) EXPECT_FLOAT_EQ(row[t].item<float>(), expected[t]) << "position " << t;
  // Labels: position t predicts token t+1 when it is a target.
  std::vector<int64_t> labels = {10, kIgnoreLabel, kIgnoreLabel, kIgnoreLabel, kIgnoreLabel, kIgnoreLabel, 2, kIgnoreLabel};
  for (int64_t t = 0; t < 8; ++t) EXPECT_EQ(batch.labels[0][t].item<int64_t>(), labels[t]) << "position " << t;
}

TEST(Splice, SourcesSayWhichTextOrSpeechRowEachPositionReads) {
  PlanInput input = timed_sample();
  Plan plan;
  plan.spans = {text({1}, {0}), text({10}, {1}, 0, 1), speech(2, 3), text({2}, {1})};
  auto audio = labelled_speech(2, 20);
  SplicedBatch batch = splice({{&plan, &input, 1}}, audio, torch::tensor({20, 15}, torch::kLong), embed,
                              FrameMapper{0.01, 8});
  // Three text tokens head the table; speech frame f of audio row 1 is row 3 + 1 * 20 + f.
  EXPECT_EQ(batch.text_rows, 3);
  std::vector<int64_t> expected = {0, 1, 29, 30, 31, 32, 33, 2};
  ASSERT_EQ(batch.sources.sizes(), (std::vector<int64_t>{1, 8}));
  for (int64_t t = 0; t < 8; ++t) EXPECT_EQ(batch.sources[0][t].item<int64_t>(), expected[t]) << "position " << t;
}

TEST(Splice, WholeUtteranceSpanNeedsNoTimingsAndPadsRight) {
  PlanInput untimed;
  untimed.id = "u2";
  untimed.has_audio = true;
  untimed.words = {{"a", -1, -1, {20}}, {"b", -1, -1, {21}}};
  Plan asr;
  asr.spans = {text({1}, {0}), speech(0, 2), text({20, 21}, {1, 1}, 0, 2), text({2}, {1})};
  Plan short_text;
  short_text.spans = {text({1}, {0}), text({20}, {1}, 0, 1)};
  auto audio = labelled_speech(1, 6);
  SplicedBatch batch = splice({{&asr, &untimed, 0}, {&short_text, &untimed, -1}}, audio,
                              torch::tensor({4}, torch::kLong), embed, FrameMapper{0.01, 4});
  EXPECT_EQ(batch.lengths, (std::vector<int64_t>{1 + 4 + 2 + 1, 2}));
  EXPECT_EQ(batch.embeddings.sizes(), (std::vector<int64_t>{2, 8, kHidden}));
  // Only the 4 valid frames of the audio, not its padding.
  EXPECT_FLOAT_EQ(batch.embeddings[0][4][0].item<float>(), 3);
  EXPECT_FLOAT_EQ(batch.embeddings[0][5][0].item<float>(), -20);
  EXPECT_TRUE(batch.key_mask[1].slice(0, 0, 2).all().item<bool>());
  EXPECT_FALSE(batch.key_mask[1].slice(0, 2).any().item<bool>());
  EXPECT_TRUE((batch.embeddings[1].slice(0, 2) == 0).all().item<bool>());
  EXPECT_EQ(batch.positions[1][1].item<int64_t>(), 1);
}

TEST(Splice, LeftPaddingForPrompts) {
  PlanInput input = timed_sample();
  Plan longer, shorter;
  longer.spans = {text({1, 5, 6}, {0, 0, 0})};
  shorter.spans = {text({1}, {0})};
  SplicedBatch batch = splice({{&longer, &input, -1}, {&shorter, &input, -1}}, torch::Tensor(), torch::Tensor(), embed,
                              FrameMapper{}, PadSide::Left);
  EXPECT_FALSE(batch.key_mask[1][0].item<bool>());
  EXPECT_TRUE(batch.key_mask[1][2].item<bool>());
  EXPECT_FLOAT_EQ(batch.embeddings[1][2][0].item<float>(), -1);
  EXPECT_EQ(batch.positions[1][2].item<int64_t>(), 0);  // positions start at the first real token
}

TEST(Splice, GradientsReachSpeechAndText) {
  PlanInput input = timed_sample();
  Plan plan;
  plan.spans = {text({1}, {0}), speech(0, 2), text({13}, {1}, 2, 3)};
  auto audio = labelled_speech(1, 12).requires_grad_();
  auto table = torch::randn({20, kHidden}, torch::requires_grad());
  auto batch = splice({{&plan, &input, 0}}, audio, torch::tensor({12}, torch::kLong),
                      [&](const torch::Tensor& t) { return table.index_select(0, t); }, FrameMapper{0.01, 4});
  batch.embeddings.sum().backward();
  // "the cat" = 0.10-0.52 s at 25 frames/s = frames [2, 13) clamped to [2, 12).
  auto frame_grad = audio.grad()[0].select(1, 0);
  EXPECT_EQ(frame_grad.slice(0, 0, 2).sum().item<float>(), 0);
  EXPECT_EQ(frame_grad.slice(0, 2, 12).sum().item<float>(), 10);
  EXPECT_EQ(table.grad()[13].sum().item<float>(), kHidden);
}

TEST(Splice, SpeechSpanWithoutTimingsIsAClearError) {
  PlanInput input = timed_sample();
  input.has_timings = false;
  Plan plan;
  plan.spans = {speech(1, 2)};
  try {
    splice({{&plan, &input, 0}}, labelled_speech(1, 10), torch::tensor({10}, torch::kLong), embed, FrameMapper{});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sample 'utt1'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("needs word timings"), std::string::npos);
  }
}

}  // namespace
