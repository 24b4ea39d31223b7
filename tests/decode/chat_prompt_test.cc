// prompt.format chat with the real SmolLM2 GGUF: the training `asr` sample,
// with the speech left out, is token for token what transformers'
// apply_chat_template gives for the same conversation (fixture:
// tests/fixtures/smollm2/chat_template.json, scripts/reference/smollm2_fixtures.py),
// the decode prefix is that sample cut before the answer, the answer is the
// written transcript, and nothing needs a token SmolLM2 lacks.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "host/data/tokenizer.h"
#include "host/decode/decode_prompt.h"
#include "host/graph/sample_builder.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"
#include "jstip/json.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;

const std::string kGguf = std::string(JSTIP_SOURCE_DIR) + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

Config chat_config(const std::string& extra = "") {
  auto base = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, {});
  auto merged = host::merge_configs(
      base.node(),
      host::parse_yaml("tokenizer: {model: " + kGguf + "}\nprompt: {format: chat}\ninterleaver: {type: asr}\n", "chat.yaml"));
  if (!extra.empty()) merged = host::merge_configs(merged, host::parse_yaml(extra, "extra.yaml"));
  return Config(merged, "");
}

// "The patient was given 200 mg of Aspirin." as a record: normalized words with
// their written forms ("200" spans "two hundred": the second word has none).
data::Utterance patient_record() {
  data::Utterance r;
  r.set_id("chat1");
  r.set_sample_rate(16000);
  r.set_pcm16(std::string(2 * 16000, '\0'));
  r.set_transcript("the patient was given two hundred mg of aspirin");
  r.set_written("The patient was given 200 mg of Aspirin.");
  const std::vector<std::pair<std::string, std::string>> words = {
      {"the", "The"}, {"patient", "patient"}, {"was", "was"}, {"given", "given"}, {"two", "200"},
      {"hundred", ""}, {"mg", "mg"}, {"of", "of"}, {"aspirin", "Aspirin."}};
  for (const auto& [text, written] : words) {
    auto* w = r.add_words();
    w->set_text(text);
    w->set_written(written);
  }
  return r;
}

// The plan's text tokens in order, the speech span left out.
std::vector<int32_t> text_tokens(const Plan& plan) {
  std::vector<int32_t> out;
  for (const auto& s : plan.spans) out.insert(out.end(), s.tokens.begin(), s.tokens.end());
  return out;
}

std::vector<int32_t> reference_ids() {
  const Json fixture = read_json_file(std::string(JSTIP_SOURCE_DIR) + "/tests/fixtures/smollm2/chat_template.json");
  for (const Json& c : fixture.find("cases")->items()) {
    const auto& messages = c.find("messages")->items();
    if (messages.size() == 2 && messages[0].get_string("content", "") == "Transcribe the speech.\n") {
      std::vector<int32_t> ids;
      for (const Json& id : c.find("ids")->items()) ids.push_back(static_cast<int32_t>(id.as_int()));
      return ids;
    }
  }
  ADD_FAILURE() << "chat_template.json has no 'Transcribe the speech.' case: rerun scripts/reference/smollm2_fixtures.py";
  return {};
}

class ChatPromptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kGguf)) GTEST_SKIP() << kGguf << " missing (scripts/install-deps.sh installs it)";
    tokenizer_ = data::load_tokenizer(kGguf);
  }
  std::shared_ptr<const data::Tokenizer> tokenizer_;
};

TEST_F(ChatPromptTest, TrainingSampleEqualsTransformersChatTemplate) {
  Config c = chat_config();
  auto registry = host::registry_for(c);
  graph::SampleBuilder builder(tokenizer_, graph::PromptDefinition::from_config(c));
  EXPECT_EQ(builder.special().bos, -1);  // SmolLM2's file says no BOS
  EXPECT_EQ(builder.special().eos, tokenizer_->token_id("<|im_end|>").value());
  EXPECT_EQ(builder.special().speech_begin, -1);

  auto asr = registry->create_as<Interleaver>("asr", "interleaver", c.child("interleaver"));
  std::mt19937_64 rng(0);
  const data::Utterance record = patient_record();
  const PlanInput input = builder.build(record);
  const Plan plan = asr->plan(input, rng);
  ASSERT_EQ(plan.speech_spans(), 1);
  // transformers renders "...<|im_end|>\n" after the answer; the sample ends at <|im_end|>, the target.
  std::vector<int32_t> expected = reference_ids();
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(expected.back(), tokenizer_->encode("\n").at(0));
  expected.pop_back();
  EXPECT_EQ(text_tokens(plan), expected);
  EXPECT_EQ(render_plan(plan, input).rfind("asr: [prompt] [speech w0-8", 0), 0) << render_plan(plan, input);
  EXPECT_TRUE(input.words[5].tokens.empty()) << "'hundred' continues '200'";
  EXPECT_EQ(tokenizer_->decode(input.words[4].tokens), " 200");  // a later word reads after a space

  // Decoding starts from the same tokens, cut before the answer.
  decode::DecodePrompt prompt(c, tokenizer_, *registry, decode::DecodeTask::Asr, decode::DecodeInput::Speech);
  const std::vector<int32_t> prefix = text_tokens(prompt.prefix(prompt.plan_input(record)));
  ASSERT_LT(prefix.size(), expected.size());
  EXPECT_EQ(std::vector<int32_t>(expected.begin(), expected.begin() + prefix.size()), prefix);
  EXPECT_EQ(tokenizer_->decode(std::vector<int>(expected.begin() + prefix.size(), expected.end() - 1)),
            "The patient was given 200 mg of Aspirin.");
}

TEST_F(ChatPromptTest, NormalizedTranscriptsAndQaPrompt) {
  Config c = chat_config("prompt: {transcripts: normalized}\n");
  graph::SampleBuilder builder(tokenizer_, graph::PromptDefinition::from_config(c));
  const PlanInput input = builder.build(patient_record());
  std::vector<int> all;
  for (const auto& w : input.words) all.insert(all.end(), w.tokens.begin(), w.tokens.end());
  EXPECT_EQ(tokenizer_->decode(all), "the patient was given two hundred mg of aspirin");
  EXPECT_EQ(decode::prompt_text(chat_config(), decode::DecodeTask::Qa, {}), "Answer the question.");
  EXPECT_EQ(decode::prompt_text(chat_config(), decode::DecodeTask::Asr, {}), "Transcribe the speech.");
}

TEST_F(ChatPromptTest, BadChatSettingsAreNamed) {
  auto message = [&](const std::string& extra) -> std::string {
    try {
      graph::SampleBuilder builder(tokenizer_, graph::PromptDefinition::from_config(chat_config(extra)));
    } catch (const std::exception& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message("prompt: {speech_begin: <speech>}\n").find("prompt.speech_begin '<speech>' is not a piece"),
            std::string::npos);
  EXPECT_NE(message("prompt: {format: jinja}\n").find("format: expected plain or chat, got 'jinja'"), std::string::npos);
  EXPECT_NE(message("prompt: {transcripts: cased}\n").find("transcripts: expected written or normalized"),
            std::string::npos);
  EXPECT_NE(message("prompt: {chat_template: /nonexistent.gguf}\n").find("/nonexistent.gguf"), std::string::npos);
}

}  // namespace
