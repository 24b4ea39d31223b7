#include "bench/suite/decode_flops.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using jstip::bench::decode_flops;
using jstip::bench::ModelDims;

namespace {

fs::path write_hyp(const std::string& name, const std::string& text) {
  auto dir = fs::path(JSTIP_BINARY_DIR) / "test_scratch" / "decode_flops";
  fs::create_directories(dir);
  auto path = dir / name;
  std::ofstream(path) << text;
  return path;
}

std::string record(double audio_seconds, int prefix, const std::string& tokens, const std::string& stopped) {
  return R"({"id":"u","tokens":[)" + tokens + R"(],"stopped":")" + stopped + R"(","timings":{"audio_seconds":)" +
         std::to_string(audio_seconds) + R"(,"prefix_length":)" + std::to_string(prefix) + "}}\n";
}

}  // namespace

TEST(DecodeFlops, CountsEachUtterancesOwnFramesPrefixAndFedTokens) {
  const ModelDims d;
  // 1.0 s = 16000 samples = 98 frames of 25 ms every 10 ms; 0.5 s = 48 frames.
  // EOS-stopped: its 3 tokens are all fed back. Length-stopped: its last of 4 is not.
  // A text-only record (no audio) adds no encoder work.
  const auto path = write_hyp("hyp.jsonl", record(1.0, 10, "5,6,7", "eos") + record(0.5, 12, "5,6,7,8", "max_length") +
                                               record(0, 4, "9", "eos"));
  const auto f = decode_flops(d, path.string());
  EXPECT_EQ(f.utterances, 3);
  EXPECT_EQ(f.tokens, 8);
  EXPECT_DOUBLE_EQ(f.encoder, jstip::bench::encoder_flops(d, 1, 98) + jstip::bench::encoder_flops(d, 1, 48));
  EXPECT_DOUBLE_EQ(f.prefill, jstip::bench::llm_flops(d, 1, 10) + jstip::bench::llm_flops(d, 1, 12) +
                                  jstip::bench::llm_flops(d, 1, 4));
  double steps = 0;
  for (int k = 1; k <= 3; ++k) steps += jstip::bench::llm_decode_step_flops(d, 1, 10 + k);
  for (int k = 1; k <= 3; ++k) steps += jstip::bench::llm_decode_step_flops(d, 1, 12 + k);
  steps += jstip::bench::llm_decode_step_flops(d, 1, 5);
  EXPECT_DOUBLE_EQ(f.steps, steps);
  EXPECT_DOUBLE_EQ(f.total(), f.encoder + f.prefill + f.steps);
  EXPECT_GT(f.encoder, 0);
}

TEST(DecodeFlops, StepFlopsGrowWithTheContextTheStepReads) {
  const ModelDims d;  // attention over the cache: 4 x hidden FLOPs per cached position per layer
  EXPECT_DOUBLE_EQ(jstip::bench::llm_decode_step_flops(d, 1, 11) - jstip::bench::llm_decode_step_flops(d, 1, 10),
                   d.llm_layers * 4.0 * d.hidden);
}

TEST(DecodeFlops, BadLinesNameTheFileAndLine) {
  const ModelDims d;
  const auto broken = write_hyp("broken.jsonl", record(1.0, 10, "5", "eos") + "{not json\n");
  try {
    decode_flops(d, broken.string());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("broken.jsonl:2"), std::string::npos) << e.what();
  }
  const auto no_prefix = write_hyp("no_prefix.jsonl", R"({"tokens":[1],"timings":{"audio_seconds":1.0}})" "\n");
  try {
    decode_flops(d, no_prefix.string());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_prefix.jsonl:1: expected"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_flops(d, (fs::path(JSTIP_BINARY_DIR) / "test_scratch" / "absent.jsonl").string()),
               std::runtime_error);
  const auto empty = write_hyp("empty.jsonl", "");
  EXPECT_THROW(decode_flops(d, empty.string()), std::runtime_error);
}
