// Small helpers every interleaving strategy uses to append spans to a plan.
// Header-only: each interleaver plugin is its own library.
#pragma once

#include "jstip/plan.h"

namespace jstip::interleave {

// Appends one text span of special/prompt tokens (no words).
inline void add_tokens(Plan& plan, const std::vector<int32_t>& tokens, bool loss) {
  if (tokens.empty()) return;
  Span span;
  span.modality = Span::Modality::Text;
  span.tokens = tokens;
  span.loss.assign(tokens.size(), loss ? 1 : 0);
  plan.spans.push_back(std::move(span));
}

inline void add_token(Plan& plan, int32_t token, bool loss) {
  if (token >= 0) add_tokens(plan, {token}, loss);
}

// Appends the words [begin, end) as their text tokens.
inline void add_text_words(Plan& plan, const PlanInput& input, int32_t begin, int32_t end, bool loss) {
  Span span;
  span.modality = Span::Modality::Text;
  span.word_begin = begin;
  span.word_end = end;
  for (int32_t w = begin; w < end; ++w)
    span.tokens.insert(span.tokens.end(), input.words[w].tokens.begin(), input.words[w].tokens.end());
  span.loss.assign(span.tokens.size(), loss ? 1 : 0);
  plan.spans.push_back(std::move(span));
}

// Appends the words [begin, end) as speech, wrapped in the modality markers
// when the host defined them.
inline void add_speech_words(Plan& plan, const PlanInput& input, int32_t begin, int32_t end) {
  add_token(plan, input.special.speech_begin, false);
  Span span;
  span.modality = Span::Modality::Speech;
  span.word_begin = begin;
  span.word_end = end;
  plan.spans.push_back(std::move(span));
  add_token(plan, input.special.speech_end, false);
}

// Appends </s> as a target, to teach the model where to stop.
inline void add_eos(Plan& plan, const PlanInput& input) { add_token(plan, input.special.eos, true); }

}  // namespace jstip::interleave
