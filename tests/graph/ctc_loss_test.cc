// The auxiliary CTC loss on hand-computable cases.
#include "host/graph/ctc_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "host/graph/speech_llm.h"

namespace {

using jstip::graph::ctc_loss_sum;
using jstip::graph::SpeechEmbeddings;

SpeechEmbeddings uniform_head(int64_t rows, int64_t frames, int64_t vocab, std::vector<int64_t> lengths) {
  SpeechEmbeddings speech;
  speech.ctc_logits = torch::zeros({rows, frames, vocab}, torch::requires_grad());
  speech.encoder_lengths = torch::tensor(lengths, torch::kLong);
  return speech;
}

// Uniform outputs over {a, b, blank}: "a" in 2 frames has 3 paths (a a, a _,
// _ a) of probability 1/9 each, so the loss is ln 3.
TEST(CtcLoss, UniformPosteriorsGiveTheCountedPaths) {
  auto speech = uniform_head(1, 2, 3, {2});
  auto loss = ctc_loss_sum(speech, {{0}});
  EXPECT_NEAR(loss.sum.item<double>(), std::log(3.0), 1e-5);
  EXPECT_EQ(loss.targets, 1);
}

// Rows are summed, and each row reads only its own frames: "a" in 1 frame
// has one path (1/3), "a b" in 3 frames has 5 paths (5/27).
TEST(CtcLoss, RowsAreSummedOverTheirOwnFrames) {
  auto speech = uniform_head(2, 3, 3, {1, 3});
  auto loss = ctc_loss_sum(speech, {{0}, {0, 1}});
  EXPECT_NEAR(loss.sum.item<double>(), std::log(3.0) + std::log(27.0 / 5.0), 1e-5);
  EXPECT_EQ(loss.targets, 3);
  loss.sum.backward();
  EXPECT_TRUE(speech.ctc_logits.grad().defined());
}

TEST(CtcLoss, TokensThatDoNotFitTheHeadAndMissingHeadsAreNamed) {
  auto speech = uniform_head(1, 4, 3, {4});
  try {
    ctc_loss_sum(speech, {{2}});  // 2 is the blank
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("set encoder.ctc_vocab to the tokenizer size + 1"), std::string::npos);
  }
  SpeechEmbeddings no_head;
  EXPECT_THROW(ctc_loss_sum(no_head, {{0}}), std::invalid_argument);
}

}  // namespace
