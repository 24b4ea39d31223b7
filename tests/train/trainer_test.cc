// Training end to end on real synthesized speech (espeak-ng), tiny sizes.
#include "host/train/trainer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "host/data/shard_file.h"
#include "host/data/synthesizer.h"
#include "host/data/tokenizer.h"
#include "host/runtime/config_loader.h"
#include "host/train/checkpoint.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;

const char* kSentences[] = {
    "the cat sat on the mat",          "a doctor gave her aspirin",     "we walked to the river today",
    "the nurse checked his pulse",     "open the window please",        "my brother plays the piano",
    "the patient has a fever",         "it rained all night long",      "she reads a book every week",
    "take two tablets after meals",    "the dog ran across the field",  "please call the clinic tomorrow",
    "the soup is very hot",            "he broke his left arm",         "the train leaves at noon",
    "they bought fresh bread",
};

// Synthesized corpus + tokenizer, made once for all tests of this file.
class TrainerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Per process: ctest runs this file's tests in parallel processes.
    root_ = (fs::path(JSTIP_BINARY_DIR) / "test_scratch" / ("trainer-" + std::to_string(::getpid()))).string();
    fs::remove_all(root_);
    fs::create_directories(root_);
    data::SynthesisOptions synthesis;
    synthesis.voices = {"en-us"};
    synthesis.variants = {"", "f3"};
    synthesis.seed = 5;
    data::Synthesizer synthesizer(synthesis);
    data::ShardWriter writer(root_ + "/train.shard");
    std::ofstream text(root_ + "/text.txt");
    uint64_t index = 0;
    for (const char* sentence : kSentences) {
      writer.write(synthesizer.make_record("utt" + std::to_string(index), sentence, index));
      text << sentence << "\n";
      ++index;
    }
    writer.close();
    text.close();
    data::TokenizerTrainOptions tokenizer;
    tokenizer.inputs = {root_ + "/text.txt"};
    tokenizer.model_prefix = root_ + "/tok";
    tokenizer.vocab_size = 120;
    tokenizer.hard_vocab_limit = false;
    tokenizer.byte_fallback = false;  // 256 byte pieces would not fit a 120-piece vocabulary
    tokenizer.user_defined_symbols = {"<speech>", "</speech>"};
    data::train_tokenizer(tokenizer);
  }

  static void TearDownTestSuite() { fs::remove_all(root_); }

  static Config config(const std::string& run, int64_t steps, const std::vector<std::string>& overrides = {}) {
    std::string yaml = "seed: 3\noutput_dir: " + root_ + "/" + run +
                       "\ntokenizer: {model: " + root_ + "/tok.model}\n"
                       "data:\n  max_frames_per_batch: 2000\n  max_utterances_per_batch: 4\n"
                       "  sources:\n    - {name: pairs, shards: [" + root_ + "/train.shard], weight: 0.7}\n"
                       "    - {name: text, shards: [" + root_ + "/train.shard], weight: 0.3, interleaver: {type: text_lm}}\n"
                       "  dev: {shards: [" + root_ + "/train.shard]}\n"
                       "trainer:\n  lr: 3.0e-3\n  warmup_steps: 2\n  log_every: 1\n  save_every: 3\n  max_dev_batches: 2\n"
                       "  stages:\n    - {name: pretrain, steps: " + std::to_string(steps) + "}\n";
    auto root = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, {});
    auto merged = host::merge_configs(root.node(), host::parse_yaml(yaml, "test.yaml"));
    for (const auto& o : overrides) host::apply_override(merged, o);
    return Config(merged, "");
  }

  static std::string root_;
};
std::string TrainerTest::root_;

TEST_F(TrainerTest, LossDecreasesOnInterleavedSpeechAndText) {
  train::TrainRequest request;
  request.config = config("decreases", 30, {"interleaver.type=word", "trainer.lr=5.0e-3"});
  request.quiet = true;
  auto summary = train::train(request);
  ASSERT_EQ(summary.losses.size(), 30u);
  auto mean = [&](size_t begin) { return (summary.losses[begin] + summary.losses[begin + 1] + summary.losses[begin + 2]) / 3; };
  double first = mean(0), last = mean(27);
  EXPECT_LT(last, first * 0.8) << "first " << first << " last " << last;
  EXPECT_GT(summary.last_dev_loss, 0);
  EXPECT_TRUE(fs::exists(root_ + "/decreases/metrics.jsonl"));
  EXPECT_FALSE(train::resolve_checkpoint(root_ + "/decreases").empty());
}

TEST_F(TrainerTest, ResumeContinuesExactly) {
  train::TrainRequest full;
  full.config = config("full", 6);
  full.quiet = true;
  auto uninterrupted = train::train(full);
  ASSERT_EQ(uninterrupted.losses.size(), 6u);

  train::TrainRequest first_half = full;
  first_half.config = config("halves", 6);
  first_half.stop_after = 3;
  auto before = train::train(first_half);
  ASSERT_EQ(before.losses.size(), 3u);

  train::TrainRequest second_half = full;
  second_half.config = config("halves", 6);
  second_half.resume_from = root_ + "/halves";
  auto after = train::train(second_half);
  ASSERT_EQ(after.losses.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(before.losses[i], uninterrupted.losses[i]) << "step " << i + 1;
    EXPECT_EQ(after.losses[i], uninterrupted.losses[i + 3]) << "step " << i + 4 << " after resume";
  }
}

TEST_F(TrainerTest, NonFiniteStepsAreSkipped) {
  // An absurd learning rate blows the weights up after the first update; the
  // following steps see non-finite losses and must be skipped, not applied.
  train::TrainRequest request;
  request.config = config("nonfinite", 5, {"trainer.lr=1.0e30", "trainer.warmup_steps=0", "trainer.schedule=constant"});
  request.quiet = true;
  auto summary = train::train(request);
  EXPECT_EQ(summary.steps, 5);
  EXPECT_GE(summary.skipped_steps, 1);
  EXPECT_EQ(static_cast<int64_t>(summary.losses.size()) + summary.skipped_steps, 5);
  for (double loss : summary.losses) EXPECT_TRUE(std::isfinite(loss));  // only applied steps count
}

TEST_F(TrainerTest, StrategyThatNeedsTimingsRefusesUntimedData) {
  // A record without timings, trained with the word strategy, names record and strategy.
  std::string shard = root_ + "/untimed.shard";
  {
    data::ShardReader reader(root_ + "/train.shard");
    data::ShardWriter writer(shard);
    data::Utterance record;
    while (reader.next(&record)) {
      for (auto& w : *record.mutable_words()) w.set_has_timing(false);
      writer.write(record);
    }
    writer.close();
  }
  train::TrainRequest request;
  request.config = config("untimed", 2, {"interleaver.type=word", "data.sources=[{name: u, shards: [" + shard + "]}]"});
  request.quiet = true;
  try {
    train::train(request);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("strategy 'word' needs word timings"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("record 'utt"), std::string::npos) << e.what();
  }
}

}  // namespace
