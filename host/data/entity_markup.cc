#include "host/data/entity_markup.h"

#include "host/data/text_normalizer.h"

namespace jstip::data {
namespace {

void append_words(std::string& out, const std::string& normalized) {
  if (normalized.empty()) return;
  if (!out.empty()) out += ' ';
  out += normalized;
}

}  // namespace

MarkedText parse_entity_markup(const std::string& raw) {
  MarkedText result;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t open = raw.find("[[", pos);
    append_words(result.text, normalize_text(raw.substr(pos, open == std::string::npos ? std::string::npos : open - pos)));
    if (open == std::string::npos) break;
    const size_t close = raw.find("]]", open);
    if (close == std::string::npos)
      throw std::invalid_argument("entity markup: '[[' at byte " + std::to_string(open) + " is never closed by ']]'");
    const std::string inner = raw.substr(open + 2, close - open - 2);
    const size_t bar = inner.rfind('|');
    if (bar == std::string::npos || bar + 1 == inner.size())
      throw std::invalid_argument("entity markup at byte " + std::to_string(open) + ": expected [[text|type]], got [[" +
                                  inner + "]]");
    const std::string words = normalize_text(inner.substr(0, bar));
    if (words.empty())
      throw std::invalid_argument("entity markup at byte " + std::to_string(open) + ": entity text is empty");
    append_words(result.text, words);
    result.entities.push_back({result.text.size() - words.size(), result.text.size(), inner.substr(bar + 1)});
    pos = close + 2;
  }
  return result;
}

}  // namespace jstip::data
