#include "host/decode/decode_prompt.h"

#include <fstream>
#include <random>
#include <stdexcept>

#include "host/data/tokenizer.h"
#include "host/graph/sample_builder.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"

namespace jstip::decode {

DecodeTask parse_task(const std::string& name) {
  if (name == "asr") return DecodeTask::Asr;
  if (name == "qa") return DecodeTask::Qa;
  throw std::invalid_argument("--task: expected asr or qa, got '" + name + "'");
}

DecodeInput parse_input(const std::string& name) {
  if (name == "speech") return DecodeInput::Speech;
  if (name == "text") return DecodeInput::Text;
  throw std::invalid_argument("--input: expected speech or text, got '" + name + "'");
}

namespace {

// The prompt text of a task with bias terms appended (none: unchanged).
std::string task_text(const graph::PromptDefinition& prompt, DecodeTask task, const std::vector<std::string>& bias_terms) {
  std::string text = task == DecodeTask::Qa ? prompt.qa_text : prompt.text;
  if (bias_terms.empty()) return text;
  text += " terms: ";
  for (size_t i = 0; i < bias_terms.size(); ++i) text += (i ? ", " : "") + bias_terms[i];
  return text;
}

}  // namespace

std::string prompt_text(const Config& config, DecodeTask task, const std::vector<std::string>& bias_terms) {
  return task_text(graph::PromptDefinition::from_config(config), task, bias_terms);
}

std::vector<std::string> read_bias_terms(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open bias terms file " + path);
  std::vector<std::string> terms;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    terms.push_back(line.substr(first, line.find_last_not_of(" \t\r") - first + 1));
  }
  if (terms.empty()) throw std::runtime_error(path + ": no bias terms (one term per line)");
  return terms;
}

namespace {

// The training config's choice of prompt for asr samples: the `asr` plugin's
// use_prompt, or the `jstip` mixture's asr_use_prompt.
bool training_uses_prompt(const Config& config) {
  const std::string type = config.get_string("interleaver.type", "");
  if (type == "asr") return config.get_bool("interleaver.use_prompt", true);
  if (type == "jstip") return config.get_bool("interleaver.asr_use_prompt", true);
  return true;
}

}  // namespace

DecodePrompt::DecodePrompt(const Config& config, std::shared_ptr<const data::Tokenizer> tokenizer,
                           const host::PluginRegistry& registry, DecodeTask task, DecodeInput input,
                           const std::vector<std::string>& bias_terms)
    : task_(task), input_(input) {
  graph::PromptDefinition prompt = graph::PromptDefinition::from_config(config);  // reads the chat template once
  text_ = task_text(prompt, task, bias_terms);
  prompt.text = text_;
  builder_ = std::make_unique<graph::SampleBuilder>(std::move(tokenizer), prompt);
  const std::string yaml =
      std::string("type: asr\nuse_prompt: ") + (training_uses_prompt(config) ? "true" : "false") + "\n";
  asr_ = registry.create_as<Interleaver>("asr", "interleaver",
                                         Config(host::parse_yaml(yaml, "decode prefix strategy"), "interleaver"));
}

DecodePrompt::~DecodePrompt() = default;

const SpecialTokens& DecodePrompt::special() const { return builder_->special(); }

PlanInput DecodePrompt::plan_input(const data::Utterance& record) const {
  PlanInput input = builder_->build(record);
  if (input_ == DecodeInput::Speech && !input.has_audio)
    throw std::invalid_argument("record '" + record.id() + "' has no audio; decode it with --input text");
  return input;
}

Plan DecodePrompt::prefix(const PlanInput& input) const {
  std::mt19937_64 rng(0);  // the asr strategy draws nothing
  Plan plan = host::call_plugin("asr", [&] { return asr_->plan(input, rng); });
  Plan out;
  out.strategy = "decode";
  for (const Span& span : plan.spans) {
    bool target = false;
    for (uint8_t l : span.loss) target = target || l != 0;
    if (target) break;  // the transcript and </s>: what decoding produces
    if (span.modality == Span::Modality::Speech && input_ == DecodeInput::Text) {
      Span text;  // the words the speech would have said, as their tokens
      text.word_begin = span.word_begin;
      text.word_end = span.word_end;
      for (int32_t w = span.word_begin; w < span.word_end; ++w)
        text.tokens.insert(text.tokens.end(), input.words[w].tokens.begin(), input.words[w].tokens.end());
      text.loss.assign(text.tokens.size(), 0);
      out.spans.push_back(std::move(text));
      continue;
    }
    out.spans.push_back(span);
  }
  if (plan.speech_spans() != 1)
    throw std::logic_error("record '" + input.id + "': the asr strategy made " + std::to_string(plan.speech_spans()) +
                           " speech spans, expected one");
  return out;
}

}  // namespace jstip::decode
