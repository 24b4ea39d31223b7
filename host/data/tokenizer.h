// The tokenizer interface, and the factory that picks a backend by file:
//
//   *.model                          SentencePiece (BPE or unigram), trained by
//                                    `jstip tokenizer train` (sentencepiece_tokenizer.h)
//   tokenizer.json, or a folder      byte-level BPE as Hugging Face writes it
//   holding one                      (byte_bpe_tokenizer.h)
//   *.gguf                           byte-level BPE from tokenizer.ggml.* keys
//
// The word rule (word-level interleaving needs to know which tokens belong to
// which word): encode_words(words) encodes word 0 as it reads at the start of
// a text and every later word as it reads after one space (" " + word), and
// concatenates. For words that are not empty and neither start nor end with
// whitespace and hold no whitespace but single spaces (what split_words() and
// written forms such as "them -" give) this equals encode(join(words, " "))
// for both backends:
//  - SentencePiece splits on whitespace before anything else (required here,
//    --split_by_whitespace), and " w" encodes as "w" does ("▁w...");
//  - the GPT-2 pre-tokenizer starts a piece at the space before every word
//    (" ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+"), no piece runs across it,
//    added tokens hold no space, and splitting digits one by one (smollm)
//    only adds boundaries inside words.
// It can fail where other whitespace meets the joining space: empty words
// (words "a" "" "" "b" give a Ġ Ġ Ġb, the text "a   b" gives a ĠĠ Ġb) and a
// word ending in "\n" or "\t" ("a\n" "1": Ċ Ġ 1, whole "a\n 1": ĊĠ 1);
// tests/data/byte_bpe_tokenizer_test.cc lists the cases found. So for real
// words, knowing which tokens belong to which word never disagrees with encode().
//
// Nothing here has an "unknown" id: token_id() says when a piece is absent.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jstip::data {

// SentencePiece training (sentencepiece_tokenizer.cc).
struct TokenizerTrainOptions {
  std::vector<std::string> inputs;  // text files, one sentence per line
  std::string model_prefix;         // writes <prefix>.model and <prefix>.vocab
  int vocab_size = 1000;
  std::string model_type = "bpe";   // "bpe" or "unigram"
  double character_coverage = 1.0;
  bool hard_vocab_limit = true;     // false: shrink the vocabulary when the text is too small
  bool byte_fallback = true;        // unseen characters become byte pieces, not <unk>
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
  virtual ~Tokenizer() = default;

  virtual std::string kind() const = 0;  // "sentencepiece" | "byte_bpe"

  // The whole text at once; special tokens written in it are matched whole
  // (byte BPE). No BOS/EOS is added.
  virtual std::vector<int> encode(const std::string& text) const = 0;
  // The word rule above.
  WordTokens encode_words(const std::vector<std::string>& words) const;
  virtual std::string decode(const std::vector<int>& ids) const = 0;
  virtual std::vector<std::string> pieces(const std::vector<int>& ids) const = 0;

  virtual int vocab_size() const = 0;
  // The id of a piece as the vocabulary spells it ("▁the", "Ġthe") or of a
  // special token ("<|im_start|>", "<speech>"); nullopt when there is none.
  virtual std::optional<int> token_id(const std::string& piece) const = 0;
  virtual int bos_id() const = 0;  // -1 when none
  virtual int eos_id() const = 0;
  virtual int pad_id() const = 0;
  // Whether the model's files say a sequence starts with bos_id() (GGUF
  // add_bos_token, tokenizer_config.json add_bos_token); encode() never adds it.
  virtual bool expects_bos() const = 0;

  // The files whose bytes define the tokenizer, in a fixed order (the
  // checkpoint fingerprint, tokenizer_fingerprint.h, hashes them).
  virtual std::vector<std::string> definition_files() const = 0;
};

// Opens the tokenizer at `path` by its name (see the top of this file);
// errors name the path and what was expected.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path);

// The files load_tokenizer(path) would read to define the tokenizer (without
// parsing them): [x.model], [tokenizer.json(, tokenizer_config.json)], [x.gguf].
std::vector<std::string> tokenizer_definition_files(const std::string& path);

}  // namespace jstip::data
