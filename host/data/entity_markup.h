// Entity markup in input text: "take [[aspirin|drug]] twice" marks "aspirin"
// as a `drug`. Parsing strips the markup, normalizes the text and returns the
// entity spans as byte offsets into the normalized text, plus the text as
// written (markup stripped) and each normalized word's written form.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace jstip::data {

struct MarkedEntity {
  size_t begin = 0, end = 0;  // bytes in the normalized text, end exclusive
  std::string type;
};

struct MarkedText {
  std::string text;  // normalized (text_normalizer.h)
  std::vector<MarkedEntity> entities;
  // The text without markup, whitespace runs as one space ("Take Aspirin.").
  std::string written;
  // One per word of `text`: its written form (normalize_written's rule).
  std::vector<std::string> written_words;
};

// Throws std::invalid_argument (with the byte offset) on unbalanced markup
// or an entity without a type.
MarkedText parse_entity_markup(const std::string& raw);

}  // namespace jstip::data
