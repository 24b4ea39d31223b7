// What the encoder's CTC head predicts: the tokenizer's sentencepiece pieces
// (the default) or characters of the normalized text. Training (ctc_loss)
// and alignment (jstip align) read the same choice from the config:
//
//   trainer:
//     ctc_units: chars    # or pieces; encoder.ctc_vocab must equal the units + 1 (blank)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jstip/config.h"
#include "jstip/plan.h"

namespace jstip::graph {

class CtcUnits {
 public:
  enum class Kind { Pieces, Chars };

  // `trainer.ctc_units` (absent: pieces); an unknown value is a ConfigError.
  static CtcUnits from_config(const Config& config);
  explicit CtcUnits(Kind kind = Kind::Pieces) : kind_(kind) {}

  Kind kind() const { return kind_; }
  std::string name() const { return kind_ == Kind::Chars ? "chars" : "pieces"; }
  // Outputs the CTC head needs, the blank (last id) included.
  int64_t head_size(int64_t tokenizer_vocab) const;
  // Unit ids of one word: its pieces, or its characters. `where` names the
  // record in the error for a character outside the alphabet.
  std::vector<int64_t> word_units(const PlanWord& word, const std::string& where) const;

  static const std::string& alphabet();  // the characters of Kind::Chars, in id order

 private:
  Kind kind_;
};

}  // namespace jstip::graph
