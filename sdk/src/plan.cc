#include "jstip/plan.h"

#include <sstream>

namespace jstip {

int64_t Plan::text_tokens() const {
  int64_t n = 0;
  for (const auto& span : spans) n += static_cast<int64_t>(span.tokens.size());
  return n;
}

int64_t Plan::loss_tokens() const {
  int64_t n = 0;
  for (const auto& span : spans)
    for (uint8_t flag : span.loss) n += flag ? 1 : 0;
  return n;
}

int64_t Plan::speech_spans() const {
  int64_t n = 0;
  for (const auto& span : spans) n += span.modality == Span::Modality::Speech ? 1 : 0;
  return n;
}

namespace {
std::string token_name(int32_t token, const SpecialTokens& special) {
  if (token == special.bos) return "<s>";
  if (token == special.eos) return "</s>";
  if (token == special.speech_begin) return "<speech>";
  if (token == special.speech_end) return "</speech>";
  return "#" + std::to_string(token);
}

std::string words_of(const PlanInput& input, int32_t begin, int32_t end) {
  std::string out;
  for (int32_t w = begin; w < end && w < static_cast<int32_t>(input.words.size()); ++w) {
    if (!out.empty()) out += ' ';
    out += input.words[w].text;
  }
  return out;
}

// A text span that spells words: print each word, starred when all its tokens carry loss.
void render_text_words(std::ostringstream& os, const Span& span, const PlanInput& input) {
  size_t token = 0;
  for (int32_t w = span.word_begin; w < span.word_end; ++w) {
    size_t count = input.words[w].tokens.size();
    bool loss = count > 0;
    for (size_t i = 0; i < count && token + i < span.loss.size(); ++i) loss = loss && span.loss[token + i];
    token += count;
    os << ' ' << input.words[w].text << (loss ? "*" : "");
  }
  // Tokens after the words (e.g. </s>).
  for (; token < span.tokens.size(); ++token)
    os << ' ' << token_name(span.tokens[token], input.special) << (span.loss[token] ? "*" : "");
}
}  // namespace

std::string render_plan(const Plan& plan, const PlanInput& input) {
  std::ostringstream os;
  os << plan.strategy << ':';
  for (const auto& span : plan.spans) {
    if (span.modality == Span::Modality::Speech) {
      os << " [speech w" << span.word_begin << "-" << span.word_end - 1 << " \""
         << words_of(input, span.word_begin, span.word_end) << "\"]";
    } else if (span.word_end > span.word_begin) {
      render_text_words(os, span, input);
    } else if (!span.tokens.empty() && span.tokens == input.prompt) {
      os << " [prompt]";
    } else if (!span.tokens.empty() && span.tokens == input.answer_prefix) {
      os << " [answer]";
    } else {
      for (size_t i = 0; i < span.tokens.size(); ++i)
        os << ' ' << token_name(span.tokens[i], input.special) << (span.loss[i] ? "*" : "");
    }
  }
  return os.str();
}

}  // namespace jstip
