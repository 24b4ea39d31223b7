#include "host/graph/sample_builder.h"

#include <filesystem>
#include <optional>
#include <stdexcept>

#include "host/data/text_normalizer.h"
#include "host/data/timing_check.h"
#include "host/data/tokenizer.h"
#include "host/data/utterance.h"

namespace jstip::graph {

namespace {

// Where a chat prompt's template lives: prompt.chat_template, else the
// tokenizer's file (a .gguf holds it; tokenizer.json sits beside
// tokenizer_config.json, which holds it).
std::string chat_template_path(const Config& config) {
  std::string path = config.get_string("prompt.chat_template", "");
  if (!path.empty()) return path;
  path = config.get_string("tokenizer.model", "");
  if (path.empty())
    throw ConfigError(config.where("prompt") + ": format chat needs prompt.chat_template or tokenizer.model");
  if (std::filesystem::path(path).filename() == "tokenizer.json") return std::filesystem::path(path).parent_path().string();
  return path;
}

}  // namespace

PromptDefinition PromptDefinition::from_config(const Config& config) {
  PromptDefinition prompt;
  if (!config.has("prompt")) return prompt;
  Config section = config.child("prompt");
  const std::string format = section.get_string("format", "plain");
  if (format == "chat") {
    prompt.chat = data::load_chat_template(chat_template_path(config));
    prompt.text = "Transcribe the speech.";  // chat prompts keep their case
    prompt.qa_text = "Answer the question.";
    prompt.speech_begin = prompt.speech_end = "";  // a pretrained vocabulary has no <speech>
  } else if (format != "plain") {
    throw ConfigError(config.where("prompt") + ": format: expected plain or chat, got '" + format + "'");
  }
  const std::string transcripts = section.get_string("transcripts", prompt.chat ? "written" : "normalized");
  if (transcripts != "written" && transcripts != "normalized")
    throw ConfigError(config.where("prompt") + ": transcripts: expected written or normalized, got '" + transcripts + "'");
  prompt.written_transcripts = transcripts == "written";
  prompt.text = section.get_string("text", prompt.text);
  prompt.qa_text = section.get_string("qa_text", prompt.qa_text);
  prompt.speech_begin = section.get_string("speech_begin", prompt.speech_begin);
  prompt.speech_end = section.get_string("speech_end", prompt.speech_end);
  return prompt;
}

namespace {

int32_t marker_id(const data::Tokenizer& tokenizer, const std::string& piece, const std::string& key) {
  if (piece.empty()) return -1;
  const std::optional<int> id = tokenizer.token_id(piece);
  if (!id)
    throw std::invalid_argument("prompt." + key + " '" + piece +
                                "' is not a piece of the tokenizer; train it with --symbols '" + piece +
                                "' (user-defined symbols) or set prompt." + key + ": \"\"");
  return *id;
}

}  // namespace

SampleBuilder::SampleBuilder(std::shared_ptr<const data::Tokenizer> tokenizer, PromptDefinition prompt)
    : tokenizer_(std::move(tokenizer)), prompt_(std::move(prompt)) {
  special_.bos = tokenizer_->expects_bos() ? tokenizer_->bos_id() : -1;
  special_.eos = tokenizer_->eos_id();
  special_.speech_begin = marker_id(*tokenizer_, prompt_.speech_begin, "speech_begin");
  special_.speech_end = marker_id(*tokenizer_, prompt_.speech_end, "speech_end");
  auto append = [&](std::vector<int32_t>& out, const std::string& text) {
    for (int id : tokenizer_->encode(text)) out.push_back(id);
  };
  if (!prompt_.chat) {
    append(prompt_tokens_, data::normalize_text(prompt_.text));
    return;
  }
  // Chat: the user's content is the prompt text, a newline, then the speech.
  const data::ChatTemplate& chat = *prompt_.chat;
  const std::optional<int> end_of_turn = tokenizer_->token_id(chat.end_of_turn());
  if (!end_of_turn)
    throw std::invalid_argument("prompt.format chat: the tokenizer has no '" + chat.end_of_turn() +
                                "' token, which ends the template's turns");
  special_.eos = *end_of_turn;  // the answer ends its turn
  append(prompt_tokens_, chat.prefix() + (prompt_.text.empty() ? "" : prompt_.text + "\n"));
  append(answer_prefix_, chat.suffix());
}

std::vector<std::vector<int32_t>> SampleBuilder::tokens_of_words(const data::Utterance& record,
                                                                  const std::vector<std::string>& words) const {
  std::vector<std::string> forms = words;
  if (prompt_.written_transcripts) {
    forms = data::written_words(record);
    if (forms.size() != words.size())
      throw std::invalid_argument("record '" + record.id() + "': " + std::to_string(forms.size()) +
                                  " written words for " + std::to_string(words.size()) + " words");
  }
  // A normalized word that continues the previous one's written token ("200"
  // -> "two hundred") has no written form: it gets no tokens of its own.
  std::vector<std::string> spelled;
  for (const auto& f : forms)
    if (!f.empty()) spelled.push_back(f);
  const data::WordTokens tokens = tokenizer_->encode_words(spelled);
  std::vector<std::vector<int32_t>> out(words.size());
  int64_t next = 0;
  for (size_t w = 0; w < forms.size(); ++w) {
    if (forms[w].empty()) continue;
    for (int64_t t = tokens.word_begin[next]; t < tokens.word_begin[next + 1]; ++t) out[w].push_back(tokens.ids[t]);
    ++next;
  }
  return out;
}

PlanInput SampleBuilder::build(const data::Utterance& record, double loaded_audio_seconds) const {
  PlanInput input;
  input.id = record.id();
  input.has_audio = !record.pcm16().empty() || !record.audio_path().empty();
  input.special = special_;
  input.prompt = prompt_tokens_;
  input.answer_prefix = answer_prefix_;

  const std::vector<std::string> words = data::normalized_words(record);
  if (words.empty()) throw std::invalid_argument("record '" + record.id() + "': empty transcript");
  const std::vector<std::vector<int32_t>> word_tokens = tokens_of_words(record, words);

  const double duration = loaded_audio_seconds >= 0 ? loaded_audio_seconds : data::stated_audio_seconds(record);
  bool timed = record.words_size() == static_cast<int>(words.size());
  double previous_start = 0;
  for (size_t w = 0; w < words.size(); ++w) {
    PlanWord word;
    word.text = words[w];
    word.tokens = word_tokens[w];
    if (timed && record.words(static_cast<int>(w)).has_timing()) {
      const auto& timing = record.words(static_cast<int>(w));
      word.start = timing.start();
      word.end = timing.end();
      const std::string problem = data::word_span_problem({word.start, word.end}, previous_start, duration);
      if (!problem.empty())
        throw std::invalid_argument("record '" + record.id() + "' word " + std::to_string(w) + " '" + word.text +
                                    "': " + problem);
      previous_start = word.start;
    } else {
      timed = false;
    }
    input.words.push_back(std::move(word));
  }
  input.has_timings = timed && input.has_audio;
  return input;
}

}  // namespace jstip::graph
