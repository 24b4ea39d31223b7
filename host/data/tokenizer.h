// SentencePiece tokenizer (BPE or unigram): training, loading, and the
// word-to-token mapping that word-level interleaving needs.
//
// Token sequences are defined word by word: each word is encoded on its own
// (SentencePiece adds the leading "▁" marker), and a transcript's tokens are
// the concatenation. With whitespace pre-splitting (the default, required
// here) this equals encoding the whole transcript, so knowing which tokens
// belong to which word costs nothing and never disagrees with plain encode().
//
// libsentencepiece is reached through a separate module (see
// sentencepiece_backend.h); set JSTIP_SENTENCEPIECE_MODULE to its path when
// it is neither in the build tree nor installed next to the binary.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace jstip::data::detail {
class SentencePieceModel;
}

namespace jstip::data {

struct TokenizerTrainOptions {
  std::vector<std::string> inputs;  // text files, one sentence per line
  std::string model_prefix;         // writes <prefix>.model and <prefix>.vocab
  int vocab_size = 1000;
  std::string model_type = "bpe";   // "bpe" or "unigram"
  double character_coverage = 1.0;
  bool hard_vocab_limit = true;
  bool byte_fallback = true;        // unseen characters become byte pieces, not <unk>     // false: shrink the vocabulary when the text is too small
  std::vector<std::string> user_defined_symbols;  // kept whole, e.g. prompt markers
  std::string extra_args;           // appended to the trainer's "--key=value" string
};

void train_tokenizer(const TokenizerTrainOptions& options);

struct WordTokens {
  std::vector<int> ids;                 // all tokens of the text
  std::vector<int64_t> word_begin;      // word w owns ids[word_begin[w], word_begin[w + 1])
  int64_t word_count() const { return int64_t(word_begin.size()) - 1; }
};

class Tokenizer {
 public:
  explicit Tokenizer(const std::string& model_path);
  ~Tokenizer();
  Tokenizer(Tokenizer&&) noexcept;

  std::vector<int> encode(const std::string& text) const;       // the whole text at once
  std::vector<int> encode_word(const std::string& word) const;   // one word, with its "▁" marker
  WordTokens encode_words(const std::vector<std::string>& words) const;
  std::string decode(const std::vector<int>& ids) const;
  std::vector<std::string> pieces(const std::vector<int>& ids) const;

  int vocab_size() const;
  int piece_to_id(const std::string& piece) const;  // unk id when unknown
  int unk_id() const;
  int bos_id() const;
  int eos_id() const;
  int pad_id() const;

 private:
  std::unique_ptr<detail::SentencePieceModel> processor_;
  std::string path_;
};

}  // namespace jstip::data
