#include "host/graph/sample_builder.h"

#include <optional>
#include <stdexcept>

#include "host/data/text_normalizer.h"
#include "host/data/timing_check.h"
#include "host/data/tokenizer.h"
#include "host/data/utterance.h"

namespace jstip::graph {

PromptDefinition PromptDefinition::from_config(const Config& config) {
  PromptDefinition prompt;
  if (!config.has("prompt")) return prompt;
  Config section = config.child("prompt");
  prompt.text = section.get_string("text", prompt.text);
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
  special_.bos = tokenizer_->bos_id();
  special_.eos = tokenizer_->eos_id();
  special_.speech_begin = marker_id(*tokenizer_, prompt_.speech_begin, "speech_begin");
  special_.speech_end = marker_id(*tokenizer_, prompt_.speech_end, "speech_end");
  for (int id : tokenizer_->encode(data::normalize_text(prompt_.text))) prompt_tokens_.push_back(id);
}

PlanInput SampleBuilder::build(const data::Utterance& record, double loaded_audio_seconds) const {
  PlanInput input;
  input.id = record.id();
  input.has_audio = !record.pcm16().empty() || !record.audio_path().empty();
  input.special = special_;
  input.prompt = prompt_tokens_;

  std::vector<std::string> words;
  for (const auto& w : record.words()) words.push_back(w.text());
  if (words.empty()) words = data::split_words(record.transcript());
  if (words.empty()) throw std::invalid_argument("record '" + record.id() + "': empty transcript");
  data::WordTokens tokens = tokenizer_->encode_words(words);

  const double duration = loaded_audio_seconds >= 0 ? loaded_audio_seconds : data::stated_audio_seconds(record);
  bool timed = record.words_size() == static_cast<int>(words.size());
  double previous_start = 0;
  for (size_t w = 0; w < words.size(); ++w) {
    PlanWord word;
    word.text = words[w];
    for (int64_t t = tokens.word_begin[w]; t < tokens.word_begin[w + 1]; ++t) word.tokens.push_back(tokens.ids[t]);
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
