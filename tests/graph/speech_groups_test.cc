// Encoding a batch's rows in groups gives what one call gives: the decoder's
// CPU path (decode.encoder_frames_per_call) must not change any result.
#include "host/graph/speech_groups.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"

namespace {

using namespace jstip;

host::Composition compose_tiny(const std::vector<std::string>& overrides) {
  Config config = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, overrides);
  return host::compose(config, host::ComposeOptions{});
}

// Row b's valid part of a [B, T, ...] tensor.
torch::Tensor valid(const torch::Tensor& t, int64_t b, int64_t length) { return t[b].narrow(0, 0, length); }

void expect_same_rows(const graph::SpeechEmbeddings& grouped, const graph::SpeechEmbeddings& whole) {
  ASSERT_TRUE(torch::equal(grouped.lengths, whole.lengths));
  ASSERT_TRUE(torch::equal(grouped.encoder_lengths, whole.encoder_lengths));
  for (int64_t b = 0; b < whole.lengths.size(0); ++b) {
    const int64_t vectors = whole.lengths[b].item<int64_t>(), frames = whole.encoder_lengths[b].item<int64_t>();
    EXPECT_TRUE(torch::allclose(valid(grouped.embeddings, b, vectors), valid(whole.embeddings, b, vectors), 1e-4, 1e-5))
        << "row " << b;
    EXPECT_TRUE(torch::allclose(valid(grouped.ctc_logits, b, frames), valid(whole.ctc_logits, b, frames), 1e-4, 1e-5))
        << "row " << b;
  }
  EXPECT_EQ(grouped.runs_before.defined(), whole.runs_before.defined());
  if (whole.runs_before.defined()) {
    // Compared over the grouped width: a group is cut to its own longest row, and past a row's frames the count
    // only repeats (what padding adds), so the whole batch's extra columns hold nothing new.
    const int64_t width = grouped.runs_before.size(1);
    ASSERT_LE(width, whole.runs_before.size(1));
    EXPECT_TRUE(torch::equal(grouped.runs_before, whole.runs_before.narrow(1, 0, width)));
  }
}

void check_groups(const std::vector<std::string>& overrides) {
  torch::manual_seed(0);
  graph::SpeechLLM model(compose_tiny(overrides));
  model.eval();
  torch::NoGradGuard no_grad;
  // Sorted longest first, as `jstip decode` batches them.
  auto lengths = torch::tensor({160, 120, 100, 48}, torch::kLong);
  auto features = torch::randn({4, 160, 80});
  const auto whole = model.encode_speech(features, lengths);
  // 250 frames: groups {160}, {120, 100}, {48}; 0 and a large budget: one call.
  for (int64_t budget : {250, 1, 0, 100000}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    expect_same_rows(graph::encode_speech_in_groups(model, features, lengths, budget), whole);
  }
}

}  // namespace

TEST(SpeechGroups, GroupedRowsEqualOneCall) { check_groups({"encoder.ctc_vocab=256"}); }

TEST(SpeechGroups, GroupedRowsEqualOneCallWithCtcCompression) {
  check_groups({"speech.compress=ctc", "encoder.ctc_vocab=256", "projector.stack=1"});
}

TEST(SpeechGroups, StackPadsEachFieldToTheLongestPart) {
  graph::SpeechEmbeddings a{torch::ones({1, 2, 3}), torch::tensor({2}, torch::kLong), torch::ones({1, 4, 5}),
                            torch::tensor({4}, torch::kLong), torch::tensor({{0, 1, 1, 2, 2}}, torch::kLong)};
  graph::SpeechEmbeddings b{torch::ones({2, 3, 3}), torch::tensor({3, 1}, torch::kLong), torch::ones({2, 2, 5}),
                            torch::tensor({2, 1}, torch::kLong), torch::tensor({{0, 1, 2}, {0, 0, 1}}, torch::kLong)};
  const auto s = graph::stack_speech_rows({a, b});
  EXPECT_EQ(s.embeddings.sizes(), (std::vector<int64_t>{3, 3, 3}));
  EXPECT_EQ(s.embeddings[0][2].abs().sum().item<float>(), 0.0f);  // zero padding
  EXPECT_TRUE(torch::equal(s.lengths, torch::tensor({2, 3, 1}, torch::kLong)));
  EXPECT_EQ(s.ctc_logits.sizes(), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(s.ctc_logits[1].narrow(0, 2, 2).abs().sum().item<float>(), 0.0f);
  // runs_before repeats its last count over padding.
  EXPECT_TRUE(torch::equal(s.runs_before, torch::tensor({{0, 1, 1, 2, 2}, {0, 1, 2, 2, 2}, {0, 0, 1, 1, 1}}, torch::kLong)));
  // A field defined in some parts only is an error, not a silent drop.
  graph::SpeechEmbeddings c = b;
  c.runs_before = torch::Tensor();
  EXPECT_THROW(graph::stack_speech_rows({a, c}), std::invalid_argument);
}
