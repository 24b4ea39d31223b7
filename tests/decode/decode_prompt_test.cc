// The decode prefix is token for token the training `asr` sample minus the
// transcript; the task, input mode and bias terms change only what they say.
// Also: the `decode` config section and checkpoint resolution.
#include "host/decode/decode_prompt.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "host/data/text_normalizer.h"
#include "host/data/tokenizer.h"
#include "host/decode/batch_decoder.h"
#include "host/decode/decode_model.h"
#include "host/decode/decode_options.h"
#include "host/graph/sample_builder.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;
using decode::DecodeInput;
using decode::DecodePrompt;
using decode::DecodeTask;

class DecodePromptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = (fs::path(JSTIP_BINARY_DIR) / "test_scratch" / ("decode-prompt-" + std::to_string(::getpid()))).string();
    fs::create_directories(root_);
    std::ofstream(root_ + "/text.txt") << "the cat sat on the mat\ntranscribe the speech\nanswer the question\n"
                                          "what is the capital of france\nterms aspirin warfarin\n";
    data::TokenizerTrainOptions options;
    options.inputs = {root_ + "/text.txt"};
    options.model_prefix = root_ + "/tok";
    options.vocab_size = 80;
    options.hard_vocab_limit = false;
    options.byte_fallback = false;
    options.user_defined_symbols = {"<speech>", "</speech>"};
    data::train_tokenizer(options);
    tokenizer_ = data::load_tokenizer(root_ + "/tok.model");
  }
  static void TearDownTestSuite() {
    tokenizer_.reset();
    fs::remove_all(root_);
  }

  static Config config(const std::string& extra = "") {
    auto base = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, {});
    auto merged = host::merge_configs(
        base.node(), host::parse_yaml("tokenizer: {model: " + root_ + "/tok.model}\ninterleaver: {type: asr}\n", "test.yaml"));
    if (!extra.empty()) merged = host::merge_configs(merged, host::parse_yaml(extra, "extra.yaml"));
    return Config(merged, "");
  }

  static data::Utterance record(const std::string& transcript) {
    data::Utterance r;
    r.set_id("utt1");
    r.set_transcript(transcript);
    r.set_sample_rate(16000);
    r.set_pcm16(std::string(2 * 16000, '\0'));  // 1 s of silence
    return r;
  }

  // Text tokens of a plan, with -1 standing for a speech span.
  static std::vector<int32_t> layout(const Plan& plan) {
    std::vector<int32_t> out;
    for (const auto& s : plan.spans) {
      if (s.modality == Span::Modality::Speech) out.push_back(-1);
      out.insert(out.end(), s.tokens.begin(), s.tokens.end());
    }
    return out;
  }

  static std::string root_;
  static std::shared_ptr<const data::Tokenizer> tokenizer_;
};

std::string DecodePromptTest::root_;
std::shared_ptr<const data::Tokenizer> DecodePromptTest::tokenizer_;

TEST_F(DecodePromptTest, PrefixIsTheTrainingAsrSampleWithoutTheTranscript) {
  for (const std::string extra : {"", "interleaver: {type: asr, use_prompt: false}\n"}) {
    Config c = config(extra);
    host::ComposeOptions options;
    options.need_model = false;
    options.need_interleaver = true;
    auto composition = host::compose(c, options);
    graph::SampleBuilder training(tokenizer_, graph::PromptDefinition::from_config(c));
    const auto rec = record("the cat sat on the mat");
    PlanInput train_input = training.build(rec);
    std::mt19937_64 rng(0);
    Plan train_plan = composition.interleaver->plan(train_input, rng);

    DecodePrompt prompt(c, tokenizer_, *composition.registry, DecodeTask::Asr, DecodeInput::Speech);
    PlanInput input = prompt.plan_input(rec);
    std::vector<int32_t> prefix = layout(prompt.prefix(input));
    std::vector<int32_t> full = layout(train_plan);
    // The training sample = prefix + transcript + </s>.
    std::vector<int32_t> expected = prefix;
    for (const auto& w : train_input.words) expected.insert(expected.end(), w.tokens.begin(), w.tokens.end());
    expected.push_back(tokenizer_->eos_id());
    EXPECT_EQ(full, expected) << extra;
    EXPECT_EQ(prefix.back(), tokenizer_->token_id("</speech>").value());
    const bool with_prompt = extra.empty();
    EXPECT_EQ(prefix.size(), 4 + (with_prompt ? training.prompt_tokens().size() : 0)) << extra;
  }
}

TEST_F(DecodePromptTest, TextInputPutsTheTranscriptTokensWhereTheSpeechWas) {
  Config c = config();
  auto registry = host::registry_for(c);
  DecodePrompt speech(c, tokenizer_, *registry, DecodeTask::Asr, DecodeInput::Speech);
  DecodePrompt text(c, tokenizer_, *registry, DecodeTask::Asr, DecodeInput::Text);
  const auto rec = record("the cat sat on the mat");
  std::vector<int32_t> with_speech = layout(speech.prefix(speech.plan_input(rec)));
  Plan text_plan = text.prefix(text.plan_input(rec));
  EXPECT_EQ(text_plan.speech_spans(), 0);
  std::vector<int32_t> expected;
  for (int32_t t : with_speech) {
    if (t != -1) {
      expected.push_back(t);
      continue;
    }
    for (int id : tokenizer_->encode("the cat sat on the mat")) expected.push_back(id);
  }
  EXPECT_EQ(layout(text_plan), expected);
}

TEST_F(DecodePromptTest, QaPromptAndBiasTerms) {
  Config c = config("prompt: {qa_text: answer briefly}\n");
  auto registry = host::registry_for(c);
  EXPECT_EQ(decode::prompt_text(c, DecodeTask::Asr, {}), "transcribe the speech");
  EXPECT_EQ(decode::prompt_text(c, DecodeTask::Qa, {}), "answer briefly");
  EXPECT_EQ(decode::prompt_text(config(), DecodeTask::Qa, {}), "answer the question");
  EXPECT_EQ(decode::prompt_text(c, DecodeTask::Asr, {"aspirin", "warfarin"}),
            "transcribe the speech terms: aspirin, warfarin");

  DecodePrompt qa(c, tokenizer_, *registry, DecodeTask::Qa, DecodeInput::Speech, {"aspirin"});
  std::vector<int32_t> prefix = layout(qa.prefix(qa.plan_input(record("what is the capital of france"))));
  std::vector<int32_t> expected = {tokenizer_->bos_id()};
  for (int id : tokenizer_->encode(data::normalize_text("answer briefly terms: aspirin"))) expected.push_back(id);
  expected.push_back(tokenizer_->token_id("<speech>").value());
  expected.push_back(-1);
  expected.push_back(tokenizer_->token_id("</speech>").value());
  EXPECT_EQ(prefix, expected);

  std::ofstream(root_ + "/terms.txt") << "aspirin\n\n  warfarin  \n";
  EXPECT_EQ(decode::read_bias_terms(root_ + "/terms.txt"), (std::vector<std::string>{"aspirin", "warfarin"}));
  EXPECT_THROW(decode::read_bias_terms(root_ + "/missing.txt"), std::runtime_error);
}

TEST_F(DecodePromptTest, RecordsWithoutWhatTheModeNeedsAreRefusedByName) {
  Config c = config();
  auto registry = host::registry_for(c);
  DecodePrompt speech(c, tokenizer_, *registry, DecodeTask::Asr, DecodeInput::Speech);
  data::Utterance text_only;
  text_only.set_id("textonly7");
  text_only.set_transcript("the cat");
  try {
    speech.plan_input(text_only);
    FAIL() << "a record without audio was accepted for speech input";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("textonly7"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode::parse_task("asrr"), std::invalid_argument);
  EXPECT_THROW(decode::parse_input("audio"), std::invalid_argument);
}

TEST(DecodeAnswers, SplitAtBars) {
  data::Utterance r;
  (*r.mutable_metadata())["answers"] = "paris| Paris city ||";
  EXPECT_EQ(decode::record_answers(r), (std::vector<std::string>{"paris", "Paris city"}));
  EXPECT_TRUE(decode::record_answers(data::Utterance{}).empty());
}

TEST(DecodeOptions, ConfigSectionAndBudget) {
  Config c(host::parse_yaml("decode: {beam: 3, length_penalty: 0.5, max_tokens_base: 4, max_tokens_per_second: 2.5,"
                            " max_tokens_cap: 9, repeat_ngram: 3, repeat_max: 1, batch_size: 2}\n",
                            "d.yaml"),
           "");
  auto s = decode::decode_settings_from_config(c);
  EXPECT_EQ(s.search.beam, 3);
  EXPECT_EQ(s.batch_size, 2);
  EXPECT_EQ(s.search.repeat_ngram, 3);
  EXPECT_EQ(decode::max_new_tokens(s.search, 1.0), 7);   // 4 + 2.5 -> 7 (rounded up)
  EXPECT_EQ(decode::max_new_tokens(s.search, 10.0), 9);  // capped
  EXPECT_EQ(decode::decode_settings_from_config(Config()).search.beam, 1);
  try {
    decode::decode_settings_from_config(Config(host::parse_yaml("decode: {beams: 2}\n", "d.yaml"), ""));
    FAIL() << "unknown key accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'beam'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode::decode_settings_from_config(Config(host::parse_yaml("decode: {beam: 0}\n", "d.yaml"), "")),
               ConfigError);
  auto joint = decode::decode_settings_from_config(
      Config(host::parse_yaml("decode: {ctc_weight: 0.3, ctc_pre_beam: 50}\n", "d.yaml"), ""));
  EXPECT_DOUBLE_EQ(joint.search.ctc_weight, 0.3);
  EXPECT_EQ(joint.search.ctc_pre_beam, 50);
  EXPECT_EQ(decode::decode_settings_from_config(Config()).search.ctc_weight, 0);  // the LLM alone by default
  for (const char* bad : {"decode: {ctc_weight: 1.5}\n", "decode: {ctc_weight: -0.1}\n", "decode: {ctc_pre_beam: -1}\n"}) {
    try {
      decode::decode_settings_from_config(Config(host::parse_yaml(bad, "d.yaml"), ""));
      FAIL() << "accepted " << bad;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("d.yaml"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("decode.ctc_"), std::string::npos) << e.what();
    }
  }
  // The encoder's rows per call: 0 (by device) unless set; negative is an error naming the key.
  EXPECT_EQ(decode::decode_settings_from_config(Config()).encoder_frames_per_call, 0);
  EXPECT_EQ(decode::decode_settings_from_config(
                Config(host::parse_yaml("decode: {encoder_frames_per_call: 500}\n", "d.yaml"), ""))
                .encoder_frames_per_call,
            500);
  try {
    decode::decode_settings_from_config(Config(host::parse_yaml("decode: {encoder_frames_per_call: -1}\n", "d.yaml"), ""));
    FAIL() << "accepted a negative encoder_frames_per_call";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("decode.encoder_frames_per_call must be >= 0"), std::string::npos) << e.what();
  }
}

TEST(DecodeCheckpoint, RunFolderGivesTheBestCheckpointElseTheNewest) {
  const fs::path run = fs::path(JSTIP_BINARY_DIR) / "test_scratch" / ("decode-ckpt-" + std::to_string(::getpid()));
  fs::remove_all(run);
  for (const char* step : {"step-000002", "step-000004"}) {
    fs::create_directories(run / "checkpoints" / step);
    std::ofstream(run / "checkpoints" / step / "model.safetensors") << "";
  }
  std::ofstream(run / "checkpoints" / "latest") << "step-000004\n";
  std::ofstream(run / "checkpoints" / "step-000004" / "trainer_state.json") << "{\"step\": 4, \"best_checkpoint\": \"\"}";
  EXPECT_EQ(fs::path(decode::resolve_decode_checkpoint(run.string())).filename(), "step-000004");
  // The best one, recorded where the run used to live: found next to `latest`.
  std::ofstream(run / "checkpoints" / "step-000004" / "trainer_state.json")
      << "{\"step\": 4, \"best_checkpoint\": \"/elsewhere/checkpoints/step-000002\"}";
  EXPECT_EQ(fs::path(decode::resolve_decode_checkpoint(run.string())).filename(), "step-000002");
  EXPECT_EQ(fs::path(decode::resolve_decode_checkpoint((run / "checkpoints").string())).filename(), "step-000002");
  EXPECT_EQ(fs::path(decode::resolve_decode_checkpoint((run / "checkpoints" / "step-000004").string())).filename(),
            "step-000004");
  EXPECT_THROW(decode::resolve_decode_checkpoint((run / "nothing").string()), std::runtime_error);
  fs::remove_all(run);
}

}  // namespace

namespace {

// Bad records are refused by name: the record, the word and what is wrong.
TEST_F(DecodePromptTest, SampleBuilderRefusesBadTimingsAndEmptyTranscriptsByName) {
  graph::SampleBuilder builder(tokenizer_, graph::PromptDefinition::from_config(config()));
  auto timed = [](std::vector<std::pair<double, double>> spans) {
    data::Utterance r = record("the cat sat");
    r.set_id("bad-rec");
    const char* words[] = {"the", "cat", "sat"};
    for (size_t i = 0; i < spans.size(); ++i) {
      auto* w = r.add_words();
      w->set_text(words[i]);
      w->set_start(spans[i].first);
      w->set_end(spans[i].second);
      w->set_has_timing(true);
    }
    return r;
  };
  auto error_of = [&](const data::Utterance& r) {
    try {
      builder.build(r);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_TRUE(builder.build(timed({{0.0, 0.2}, {0.2, 0.5}, {0.5, 0.9}})).has_timings);
  EXPECT_EQ(error_of(timed({{0.0, 0.2}, {0.4, 0.3}, {0.5, 0.9}})), "record 'bad-rec' word 1 'cat': ends before it starts");
  EXPECT_EQ(error_of(timed({{0.0, 0.2}, {0.5, 0.6}, {0.3, 0.9}})),
            "record 'bad-rec' word 2 'sat': starts before the previous word");
  const std::string late = error_of(timed({{0.0, 0.2}, {0.2, 0.5}, {0.5, 1.5}}));
  EXPECT_EQ(late.rfind("record 'bad-rec' word 2 'sat': ends at 1.5", 0), 0u) << late;
  EXPECT_NE(late.find("after the audio (1.0"), std::string::npos) << late;
  // A record naming a whole audio file carries no length: the loader's (the second argument) decides.
  data::Utterance whole_file = timed({{0.0, 0.2}, {0.2, 0.5}, {0.5, 1.5}});
  whole_file.clear_pcm16();
  whole_file.set_audio_path("/data/whole-file.wav");
  EXPECT_NO_THROW(builder.build(whole_file));
  try {
    builder.build(whole_file, 1.0);
    ADD_FAILURE() << "a word past the loaded audio was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ends at 1.5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("after the audio (1.0"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(builder.build(whole_file, 1.6).has_timings);
  data::Utterance empty = record("");
  empty.set_id("silent-rec");
  EXPECT_EQ(error_of(empty), "record 'silent-rec': empty transcript");
}

// A checkpoint's config whose LLM has fewer embeddings than the tokenizer has
// pieces is refused before any weight is read, naming both sizes.
TEST_F(DecodePromptTest, TokenizerLargerThanTheLlmVocabularyIsRefused) {
  const std::string folder = root_ + "/small-vocab-ckpt";  // never read: the check comes first
  try {
    decode::load_decode_model(folder, config("llm: {vocab_size: 16}\n"), torch::kCPU);
    FAIL() << "a " << tokenizer_->vocab_size() << "-piece tokenizer loaded with 16 embeddings";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), folder + "/config.yaml: tokenizer " + root_ + "/tok.model has " +
                                         std::to_string(tokenizer_->vocab_size()) + " pieces but llm.vocab_size is 16");
  }
}

}  // namespace
