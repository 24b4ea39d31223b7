#include "host/graph/ctc_units.h"

#include <stdexcept>

namespace jstip::graph {

const std::string& CtcUnits::alphabet() {
  // What normalize_text leaves in English text: lower-case letters and the
  // in-word apostrophe (numbers are spelled out).
  static const std::string letters = "abcdefghijklmnopqrstuvwxyz'";
  return letters;
}

CtcUnits CtcUnits::from_config(const Config& config) {
  const std::string value = config.get_string("trainer.ctc_units", "pieces");
  if (value == "pieces") return CtcUnits(Kind::Pieces);
  if (value == "chars") return CtcUnits(Kind::Chars);
  throw ConfigError(config.where("trainer.ctc_units") + ": ctc_units must be pieces or chars, not '" + value + "'");
}

int64_t CtcUnits::head_size(int64_t tokenizer_vocab) const {
  return (kind_ == Kind::Chars ? static_cast<int64_t>(alphabet().size()) : tokenizer_vocab) + 1;
}

std::vector<int64_t> CtcUnits::word_units(const PlanWord& word, const std::string& where) const {
  std::vector<int64_t> units;
  if (kind_ == Kind::Pieces) {
    units.assign(word.tokens.begin(), word.tokens.end());
    return units;
  }
  for (char c : word.text) {
    const auto id = alphabet().find(c);
    if (id == std::string::npos)
      throw std::invalid_argument(where + ": word '" + word.text + "' has the character '" + std::string(1, c) +
                                  "', outside the CTC character alphabet \"" + alphabet() +
                                  "\" (use trainer.ctc_units: pieces for such text)");
    units.push_back(static_cast<int64_t>(id));
  }
  return units;
}

}  // namespace jstip::graph
