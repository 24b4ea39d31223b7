// Pre-tokenization for byte-level BPE: the text is cut into pieces, and BPE
// merges only within a piece (Hugging Face tokenizers' pre_tokenizers,
// llama.cpp's regex_exprs).
//
//   gpt2    the GPT-2 regex, as tokenizers' ByteLevel(use_regex=true):
//           's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   smollm  every \p{N} character on its own first (Digits(individual_digits=true)),
//           then the GPT-2 regex on each remaining stretch (SmolLM2, StarCoder).
//
// The regex runs in PCRE2 with PCRE2_UTF | PCRE2_UCP, so \p{L}, \p{N} and \s
// follow Unicode (PCRE2's \s is \p{Z} plus \t \n \v \f \r). Text between matches
// (never, with this regex) would be kept as its own piece, as tokenizers does.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jstip::data {

enum class PreTokenizerKind { Gpt2, Smollm };
const char* pre_tokenizer_name(PreTokenizerKind kind);  // "gpt2" | "smollm"

class BpePreTokenizer {
 public:
  explicit BpePreTokenizer(PreTokenizerKind kind);
  ~BpePreTokenizer();
  BpePreTokenizer(const BpePreTokenizer&) = delete;
  BpePreTokenizer& operator=(const BpePreTokenizer&) = delete;

  PreTokenizerKind kind() const { return kind_; }

  // Appends the pieces of `text`, which must be valid UTF-8 (the caller
  // checks: PCRE2 is run without its own check). The pieces are views into
  // `text` and concatenate to it. Thread-safe.
  void split(std::string_view text, std::vector<std::string_view>* pieces) const;

  class Regex;  // a compiled PCRE2 pattern (bpe_pretokenizer.cc)

 private:
  PreTokenizerKind kind_;
  std::unique_ptr<Regex> gpt2_;
  std::unique_ptr<Regex> digit_;
};

}  // namespace jstip::data
