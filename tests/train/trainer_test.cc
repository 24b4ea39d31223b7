// Training end to end on real synthesized speech (espeak-ng), tiny sizes.
#include "host/train/trainer.h"

#include <gtest/gtest.h>

#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "host/data/shard_file.h"
#include "host/data/synthesis_mix.h"
#include "host/data/tokenizer.h"
#include "host/runtime/config_loader.h"
#include "host/decode/decode_model.h"
#include "host/graph/speech_llm.h"
#include "host/train/checkpoint.h"
#include "host/train/train_options.h"
#include "jstip/safetensors.h"

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
    const auto synthesis = data::synthesis_options_from_config(
        Config(host::parse_yaml("voices: [en-us]\nvariants: [\"\", f3]\nseed: 5\n", "trainer_test"), ""));
    data::SynthesisMix synthesizer(synthesis);
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

  static Config config(const std::string& run, int64_t steps, const std::vector<std::string>& overrides = {},
                       const std::string& stages = "") {
    std::string yaml = "seed: 3\noutput_dir: " + root_ + "/" + run +
                       "\ntokenizer: {model: " + root_ + "/tok.model}\n"
                       "data:\n  max_frames_per_batch: 2000\n  max_utterances_per_batch: 4\n"
                       "  sources:\n    - {name: pairs, shards: [" + root_ + "/train.shard], weight: 0.7}\n"
                       "    - {name: text, shards: [" + root_ + "/train.shard], weight: 0.3, interleaver: {type: text_lm}}\n"
                       "  dev: {shards: [" + root_ + "/train.shard]}\n"
                       "trainer:\n  lr: 3.0e-3\n  warmup_steps: 2\n  log_every: 1\n  save_every: 3\n  max_dev_batches: 2\n"
                       "  stages:\n" +
                       (stages.empty() ? "    - {name: pretrain, steps: " + std::to_string(steps) + "}\n" : stages);
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
  // Each dev evaluation also scores the transcripts against the wrong speech
  // (a neighbour's): the listening gap.
  std::ifstream metrics(root_ + "/decreases/metrics.jsonl");
  int dev_records = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto record = Json::parse(line);
    const Json* dev = record.find("dev_loss");
    if (!dev) continue;
    ++dev_records;
    const Json* mismatched = record.find("dev_loss_mismatched_speech");
    ASSERT_NE(mismatched, nullptr) << line;
    EXPECT_TRUE(std::isfinite(mismatched->as_double())) << line;
    EXPECT_NE(mismatched->as_double(), dev->as_double()) << "swapping the speech changed nothing: " << line;
  }
  EXPECT_GE(dev_records, 1);
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

// A second stage that freezes everything and trains LoRA adapters on the
// LLM's attention: only adapters change, and a resume in the middle of the
// adapter stage continues exactly (the adapters are rebuilt before loading).
TEST_F(TrainerTest, StageLoraTrainsOnlyAdaptersAndResumesExactly) {
  const std::string stages =
      "    - {name: pretrain, steps: 2}\n"
      "    - {name: adapt, steps: 4, lr: 1.0e-2, freeze: {encoder: true, projector: true, llm: true},\n"
      "       lora: {llm: {target: 'self_attn\\.(q|v)_proj$', rank: 2, alpha: 4}}}\n";
  train::TrainRequest full;
  full.config = config("lora-full", 0, {"trainer.keep_last=10"}, stages);
  full.quiet = true;
  auto uninterrupted = train::train(full);
  ASSERT_EQ(uninterrupted.losses.size(), 6u);

  auto weights = [&](const std::string& run, int step) {
    char folder[32];
    std::snprintf(folder, sizeof folder, "step-%08d", step);
    return safetensors::load_file(root_ + "/" + run + "/checkpoints/" + folder + "/model.safetensors");
  };
  auto before = weights("lora-full", 2), after = weights("lora-full", 6);
  int adapters = 0, changed_base = 0;
  for (const auto& [name, tensor] : after) {
    if (name.find("lora_") != std::string::npos) {
      ++adapters;
      EXPECT_EQ(before.count(name), 0u) << name << " exists before the adapter stage";
      continue;
    }
    ASSERT_EQ(before.count(name), 1u) << name;
    if (!torch::equal(before.at(name), tensor)) ++changed_base;
  }
  EXPECT_GT(adapters, 0);
  EXPECT_EQ(changed_base, 0) << "frozen weights moved during the adapter stage";

  // Decoding rebuilds the adapters before loading the weights.
  const std::string last = train::resolve_checkpoint(root_ + "/lora-full");
  auto loaded = decode::load_decode_model(last, decode::load_checkpoint_config(last, {}), torch::Device(torch::kCPU));
  int loaded_adapters = 0;
  for (const auto& p : loaded.model->named_parameters())
    if (p.key().find("lora_") != std::string::npos) ++loaded_adapters;
  EXPECT_EQ(loaded_adapters, adapters);

  train::TrainRequest first = full;
  first.config = config("lora-halves", 0, {"trainer.keep_last=10"}, stages);
  first.stop_after = 3;  // one step into the adapter stage (save_every: 3)
  auto head = train::train(first);
  train::TrainRequest rest = first;
  rest.stop_after = -1;
  rest.resume_from = root_ + "/lora-halves";
  auto tail = train::train(rest);
  ASSERT_EQ(head.losses.size() + tail.losses.size(), 6u);
  for (size_t i = 0; i < head.losses.size(); ++i) EXPECT_EQ(head.losses[i], uninterrupted.losses[i]) << i;
  for (size_t i = 0; i < tail.losses.size(); ++i)
    EXPECT_EQ(tail.losses[i], uninterrupted.losses[head.losses.size() + i]) << "after resume, step " << i;
}

// Every plugin family under autocast: norms, convolutions and attention must
// accept bf16 activations next to fp32 weights. (bf16 on a CPU without native
// bf16 units is slow, so the second family only takes a few steps.)
TEST_F(TrainerTest, Bf16AutocastTrainsWithFiniteDecreasingLoss) {
  struct Case {
    std::vector<std::string> parts;
    int64_t steps;
  };
  for (const auto& c : std::vector<Case>{{{"encoder.type=transformer", "llm.type=llama"}, 12},
                                         {{"encoder.type=conformer", "llm.type=gpt2"}, 3}}) {
    std::vector<std::string> overrides = {"trainer.precision=bf16", "trainer.lr=5.0e-3"};
    overrides.insert(overrides.end(), c.parts.begin(), c.parts.end());
    train::TrainRequest request;
    request.config = config("bf16-" + c.parts[0].substr(13), c.steps, overrides);
    request.quiet = true;
    auto summary = train::train(request);
    ASSERT_EQ(static_cast<int64_t>(summary.losses.size()), c.steps) << c.parts[0];
    for (double loss : summary.losses) EXPECT_TRUE(std::isfinite(loss)) << c.parts[0];
    if (c.steps >= 12) EXPECT_LT(summary.losses.back(), summary.losses.front()) << c.parts[0];
  }
}

TEST_F(TrainerTest, BadStageLoraAndPrecisionAreNamed) {
  train::TrainRequest request;
  request.quiet = true;
  request.config = config("bad", 0, {}, "    - {name: a, steps: 1, lora: {decoder: {target: x}}}\n");
  try {
    train::train(request);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("lora takes encoder, projector or llm, not 'decoder'"), std::string::npos)
        << e.what();
  }
  request.config = config("bad", 1, {"trainer.precision=fp8"});
  try {
    train::train(request);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("precision must be fp32 or bf16"), std::string::npos) << e.what();
  }
}

// A tokenizer with more pieces than the LLM has embeddings is refused before
// any step, naming the tokenizer and both sizes.
TEST_F(TrainerTest, TokenizerLargerThanTheLlmVocabularyIsRefused) {
  const int pieces = data::load_tokenizer(root_ + "/tok.model")->vocab_size();
  ASSERT_GT(pieces, 16);
  train::TrainRequest request;
  request.quiet = true;
  request.config = config("small_vocab", 1, {"llm.vocab_size=16"});
  try {
    train::train(request);
    FAIL() << "trained with a " << pieces << "-piece tokenizer and 16 embeddings";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(root_ + "/tok.model has " + std::to_string(pieces) +
                                         " pieces but llm.vocab_size is 16"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(fs::exists(root_ + "/small_vocab/checkpoints"));
}

// Keys of `trainer`, of a stage and of its lora are checked: a typo is named with its place and the closest key.
TEST(TrainOptions, UnknownTrainerAndStageKeysAreNamed) {
  auto error_of = [](const std::string& yaml) {
    try {
      train::parse_train_options(Config(host::parse_yaml(yaml, "t.yaml"), ""));
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(error_of("trainer:\n  lr: 1.0e-3\n  stages: [{name: a, steps: 1}]\n"), "(accepted)");
  EXPECT_EQ(error_of("trainer:\n  lr: 1.0e-3\n  warmup_step: 2\n  stages: [{name: a, steps: 1}]\n"),
            "t.yaml:3: unknown trainer key 'warmup_step'; did you mean 'warmup_steps'?");
  EXPECT_EQ(error_of("trainer:\n  stages:\n    - {name: a, step: 1}\n"),
            "t.yaml:3: unknown stage key 'step'; did you mean 'steps'?");
  EXPECT_EQ(error_of("trainer:\n  stages:\n    - {name: a, steps: 1, lora: {llm: {target: x, rnk: 4}}}\n"),
            "t.yaml:3: unknown lora key 'rnk'; did you mean 'rank'?");
}

// Hybrid CTC/attention: the encoder's CTC head trains next to the LLM loss
// and its loss is logged.
TEST_F(TrainerTest, CtcAuxiliaryLossTrainsAndIsLogged) {
  train::TrainRequest request;
  request.config = config("ctc", 10, {"encoder.ctc_vocab=200", "trainer.ctc_weight=0.5", "trainer.lr=5.0e-3"});
  request.quiet = true;
  auto summary = train::train(request);
  ASSERT_EQ(summary.losses.size(), 10u);
  std::ifstream metrics(root_ + "/ctc/metrics.jsonl");
  std::vector<double> ctc;
  for (std::string line; std::getline(metrics, line);) {
    auto record = Json::parse(line);
    if (const Json* value = record.find("ctc_loss")) ctc.push_back(value->as_double());
  }
  ASSERT_GE(ctc.size(), 3u);
  for (double v : ctc) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LT(ctc.back(), ctc.front());

  request.config = config("ctc-no-head", 1, {"trainer.ctc_weight=0.5"});
  EXPECT_THROW(train::train(request), std::invalid_argument);
}

// A CTC-only warm-up stage (llm_weight 0) moves the encoder alone, logs the CTC
// loss as the stage's loss, and the next stage trains the whole graph again.
TEST_F(TrainerTest, CtcOnlyStageTrainsTheEncoderAlone) {
  const std::string stages =
      "    - {name: listen, steps: 3, llm_weight: 0, ctc_weight: 1.0}\n"
      "    - {name: main, steps: 3}\n";
  train::TrainRequest request;
  request.config = config("ctc-only", 0, {"encoder.ctc_vocab=200", "trainer.keep_last=10", "trainer.save_every=3"},
                          stages);
  request.quiet = true;
  auto summary = train::train(request);
  ASSERT_EQ(summary.losses.size(), 6u);

  auto weights = [&](int step) {
    char folder[32];
    std::snprintf(folder, sizeof folder, "step-%08d", step);
    return safetensors::load_file(root_ + "/ctc-only/checkpoints/" + folder + "/model.safetensors");
  };
  auto listen = weights(3), main = weights(6);
  int encoder_moved = 0, others_moved_in_listen = 0, others_moved_in_main = 0;
  for (const auto& [name, tensor] : main) {
    ASSERT_EQ(listen.count(name), 1u) << name;
    const bool changed = !torch::equal(listen.at(name), tensor);
    if (name.rfind("encoder.", 0) != 0 && changed) ++others_moved_in_main;
  }
  // The weights before stage 1: the same seed builds the same model, and a
  // stage with every trainable slot frozen leaves it as built.
  train::TrainRequest frozen = request;
  frozen.config = config("ctc-only-frozen", 0, {"encoder.ctc_vocab=200", "trainer.save_every=3"},
                         "    - {name: listen, steps: 3, llm_weight: 0, ctc_weight: 1.0, freeze: {encoder: true}}\n");
  train::train(frozen);
  auto start = safetensors::load_file(root_ + "/ctc-only-frozen/checkpoints/step-00000003/model.safetensors");
  for (const auto& [name, tensor] : listen) {
    ASSERT_EQ(start.count(name), 1u) << name;
    const bool changed = !torch::equal(start.at(name), tensor);
    if (name.rfind("encoder.", 0) == 0) encoder_moved += changed;
    else others_moved_in_listen += changed;
  }
  EXPECT_GT(encoder_moved, 0);
  EXPECT_EQ(others_moved_in_listen, 0) << "the projector or LLM moved during the CTC-only stage";
  EXPECT_GT(others_moved_in_main, 0) << "the LLM did not train after the CTC-only stage";

  // In the CTC-only stage the logged loss is the CTC loss per target token,
  // and only the source with speech is drawn (the fixture also has a text source).
  std::ifstream metrics(root_ + "/ctc-only/metrics.jsonl");
  int listen_records = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto record = Json::parse(line);
    const Json* stage = record.find("stage");
    if (!stage || stage->as_string() != "listen") continue;
    ++listen_records;
    EXPECT_EQ(record.find("sources")->as_string(), "pairs") << "a CTC-only stage drew a text-only source: " << line;
    ASSERT_NE(record.find("ctc_loss"), nullptr) << line;
    EXPECT_DOUBLE_EQ(record.find("loss")->as_double(), record.find("ctc_loss")->as_double()) << line;
  }
  EXPECT_EQ(listen_records, 3);

  request.config = config("no-loss", 1, {"encoder.ctc_vocab=200", "trainer.llm_weight=0"});
  try {
    train::train(request);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("llm_weight 0 needs ctc_weight > 0"), std::string::npos) << e.what();
  }
}

// The CTC loss alone (llm_weight 0 for the whole run) on characters: an aligner for
// `jstip align`. The LLM is not run, so its weights do not move.
TEST_F(TrainerTest, CtcAloneOnCharactersTrainsOnlyTheEncoderSide) {
  train::TrainRequest request;
  const std::string speech_only = "data.sources=[{name: pairs, shards: [" + root_ + "/train.shard]}]";
  request.config = config("ctc-alone", 8, {"encoder.ctc_vocab=28", "trainer.ctc_weight=1", "trainer.llm_weight=0",
                                            "trainer.ctc_units=chars", "trainer.lr=5.0e-3", speech_only});
  request.quiet = true;
  auto summary = train::train(request);
  ASSERT_EQ(summary.losses.size(), 8u);
  for (double v : summary.losses) EXPECT_TRUE(std::isfinite(v));
  EXPECT_LT(summary.losses.back(), summary.losses.front());
  std::ifstream metrics(root_ + "/ctc-alone/metrics.jsonl");
  int logged = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto record = Json::parse(line);
    const Json* loss = record.find("loss");
    if (!loss || loss->is_null()) continue;
    ++logged;
    EXPECT_NEAR(loss->as_double(), record.find("ctc_loss")->as_double(), 1e-9 * loss->as_double());  // the CTC loss
  }
  EXPECT_EQ(logged, 8);
  // Between the checkpoints of steps 3 and 8 the encoder moved, the LLM did not.
  const std::string folder = root_ + "/ctc-alone/checkpoints/";
  auto early = safetensors::load_file(folder + "step-00000003/model.safetensors");
  auto late = safetensors::load_file(folder + "step-00000008/model.safetensors");
  bool encoder_moved = false;
  int64_t llm_tensors = 0;
  for (const auto& [name, tensor] : late) {
    const bool same = torch::equal(tensor, early.at(name));
    if (name.rfind("llm.", 0) == 0) {
      EXPECT_TRUE(same) << name;
      ++llm_tensors;
    }
    if (name.rfind("encoder.", 0) == 0 && !same) encoder_moved = true;
  }
  EXPECT_GT(llm_tensors, 0);
  EXPECT_TRUE(encoder_moved);

  // Bad combinations are named.
  request.config = config("ctc-alone-bad", 1, {"trainer.llm_weight=0"});
  try {
    train::train(request);
    FAIL() << "llm_weight 0 without ctc_weight accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("llm_weight 0 needs ctc_weight > 0"), std::string::npos) << e.what();
  }
  request.config = config("ctc-alone-bad2", 1, {"encoder.ctc_vocab=28", "trainer.ctc_weight=1",
                                                "trainer.ctc_units=letters"});
  try {
    train::train(request);
    FAIL() << "ctc_units letters accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("ctc_units must be pieces or chars"), std::string::npos) << e.what();
  }
  // The CTC head alone cannot learn from text-only sources.
  const std::string text_only =
      "data.sources=[{name: text, shards: [" + root_ + "/train.shard], interleaver: {type: text_lm}}]";
  request.config = config("ctc-alone-text", 1, {"encoder.ctc_vocab=28", "trainer.ctc_weight=1", "trainer.llm_weight=0",
                                                "trainer.ctc_units=chars", text_only});
  try {
    train::train(request);
    FAIL() << "text-only sources accepted for CTC alone";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("no data source has speech"), std::string::npos) << e.what();
  }
}
