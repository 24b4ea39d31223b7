#include "host/data/entity_markup.h"

#include "host/data/text_normalizer.h"

namespace jstip::data {

MarkedText parse_entity_markup(const std::string& raw) {
  MarkedText result;
  // Each piece (outside text, an entity's text) is normalized on its own, so
  // entity spans fall on word bounds; their words are sourced in `plain`,
  // the text without markup, which gives the written forms.
  std::string plain;
  std::vector<SourcedWord> words;
  auto add_piece = [&](const std::string& piece) {
    for (auto word : normalize_sourced(piece)) {
      word.source += plain.size();
      result.text += (result.text.empty() ? "" : " ") + word.text;
      words.push_back(std::move(word));
    }
    plain += piece;
  };
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t open = raw.find("[[", pos);
    add_piece(raw.substr(pos, open == std::string::npos ? std::string::npos : open - pos));
    if (open == std::string::npos) break;
    const size_t close = raw.find("]]", open);
    if (close == std::string::npos)
      throw std::invalid_argument("entity markup: '[[' at byte " + std::to_string(open) + " is never closed by ']]'");
    const std::string inner = raw.substr(open + 2, close - open - 2);
    const size_t bar = inner.rfind('|');
    if (bar == std::string::npos || bar + 1 == inner.size())
      throw std::invalid_argument("entity markup at byte " + std::to_string(open) + ": expected [[text|type]], got [[" +
                                  inner + "]]");
    const size_t first_word = words.size();
    add_piece(inner.substr(0, bar));
    if (words.size() == first_word)
      throw std::invalid_argument("entity markup at byte " + std::to_string(open) + ": entity text is empty");
    size_t begin = result.text.size();
    for (size_t w = first_word; w < words.size(); ++w) begin -= words[w].text.size() + (w > first_word ? 1 : 0);
    result.entities.push_back({begin, result.text.size(), inner.substr(bar + 1)});
    pos = close + 2;
  }
  const NormalizedText written = attach_written(plain, words);
  result.written = written.written;
  for (const auto& word : written.words) result.written_words.push_back(word.written);
  return result;
}

}  // namespace jstip::data
