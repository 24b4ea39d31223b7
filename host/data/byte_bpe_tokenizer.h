// Byte-level BPE (GPT-2 style: SmolLM2, Llama 3, Qwen), equal to Hugging Face
// tokenizers' BPE model with a ByteLevel pre-tokenizer and to llama.cpp's
// llm_tokenizer_bpe with parse_special=true.
//
// encode(text):
//   1. Added tokens (special or not) are cut out first, leftmost-longest, and
//      become their own ids: "<|im_start|>user" is [<|im_start|>, user].
//   2. Each stretch between them is pre-tokenized (bpe_pretokenizer.h: gpt2,
//      or smollm = every digit alone, then the GPT-2 regex).
//   3. Each piece's bytes are spelled in the byte-level alphabet
//      (byte_level.h) and merged by rank, lowest first, leftmost among equal
//      ranks, until no pair of neighbours has a merge (tokenizers' word.rs
//      merge_all; llama.cpp's llm_tokenizer_bpe_session). Results are cached
//      per piece.
//   No BOS/EOS is added (add_special_tokens=False); expects_bos() says
//   whether the model's file wants one in front.
// Text must be valid UTF-8: anything else is refused with the byte offset
// (tokenizers only takes str; llama.cpp would guess). decode() gives the exact
// bytes back, so decode(encode(x)) == x for every valid x whose bytes all
// have a piece; ids that split a character decode to a partial UTF-8
// sequence, as llama.cpp's token_to_piece. A byte without a piece in the
// vocabulary is dropped before merging, as tokenizers does (SmolLM2 has none
// for the control bytes 04 06 13 14 16 1D and the lead bytes F1 F2, i.e.
// U+40000..U+BFFFF; llama.cpp drops them too, but after merging).
//
// Sources: a Hugging Face tokenizer.json (with tokenizer_config.json beside it
// for bos/eos/pad and add_bos_token), or a GGUF file's tokenizer.ggml.* keys.
// Anything else in them that would change the ids (a normalizer, other
// pre-tokenizers, dropout, byte fallback, lstrip/rstrip tokens, ...) is
// refused, naming the file and the key.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "host/data/bpe_pretokenizer.h"
#include "host/data/tokenizer.h"

namespace jstip::data {

struct AddedToken {
  int id = 0;
  std::string content;  // matched whole in text, decoded as itself
  bool special = true;  // HF "special" / GGUF control (false: user-defined)
  // tokenizers matches tokens with normalized=false on the raw text first,
  // then normalized ones within what is left (GGUF: all in one pass).
  bool normalized = false;
};

// Everything that defines a byte-level BPE tokenizer, as read from its file.
struct ByteBpeDefinition {
  std::string source;                                       // the file, for messages
  std::vector<std::string> files;                           // definition_files()
  std::vector<std::string> pieces;                          // id -> piece (added tokens: their content)
  std::vector<std::pair<std::string, std::string>> merges;  // by rank, first = applied first
  std::vector<AddedToken> added;
  PreTokenizerKind pre_tokenizer = PreTokenizerKind::Gpt2;
  bool ignore_merges = false;  // tokenizers' BPE option: a piece that is in the vocab is one token
  int bos = -1, eos = -1, pad = -1;
  bool add_bos = false;
};

class ByteLevelBpeTokenizer final : public Tokenizer {
 public:
  // Validates: unique pieces, the printable ASCII bytes present, every merge's
  // parts and result in the vocabulary, ids in range. Errors name `source`.
  explicit ByteLevelBpeTokenizer(ByteBpeDefinition definition);
  ~ByteLevelBpeTokenizer() override;

  // tokenizer.json (or a folder holding one); errors name the file and key.
  static std::shared_ptr<const ByteLevelBpeTokenizer> from_tokenizer_json(const std::string& path);
  // A GGUF file's tokenizer.ggml.* keys (model "gpt2"; pre "smollm", "gpt2" or "default").
  static std::shared_ptr<const ByteLevelBpeTokenizer> from_gguf(const std::string& path);

  std::string kind() const override { return "byte_bpe"; }
  std::vector<int> encode(const std::string& text) const override;
  std::string decode(const std::vector<int>& ids) const override;
  std::vector<std::string> pieces(const std::vector<int>& ids) const override;
  int vocab_size() const override { return int(definition_.pieces.size()); }
  std::optional<int> token_id(const std::string& piece) const override;
  int bos_id() const override { return definition_.bos; }
  int eos_id() const override { return definition_.eos; }
  int pad_id() const override { return definition_.pad; }
  bool expects_bos() const override { return definition_.add_bos && definition_.bos >= 0; }
  std::vector<std::string> definition_files() const override { return definition_.files; }

  const ByteBpeDefinition& definition() const { return definition_; }

 private:
  struct Merge {
    int rank;
    int id;
  };
  static uint64_t pair_key(int a, int b) { return (uint64_t(uint32_t(a)) << 32) | uint32_t(b); }
  void encode_added(std::string_view text, int pass, std::vector<int>* ids) const;
  void encode_ordinary(std::string_view text, std::vector<int>* ids) const;
  void encode_piece(std::string_view piece, std::vector<int>* ids) const;
  void merge(std::string_view piece, std::vector<int>* ids) const;

  ByteBpeDefinition definition_;
  BpePreTokenizer pre_;
  std::unordered_map<std::string, int> id_of_;        // piece or added content -> id
  std::unordered_map<uint64_t, Merge> merges_;       // (left id, right id) -> rank, merged id
  int byte_id_[256];                                 // the piece of each single byte, -1: none
  std::vector<std::string> bytes_;                   // id -> the bytes it decodes to
  // Added tokens by matching pass (normalized false, true) and first byte, longest first.
  std::vector<const AddedToken*> added_by_first_byte_[2][256];
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, std::vector<int>> cache_;  // piece -> ids
};

// Writes a Hugging Face tokenizer.json (atomically) that tokenizes exactly as
// `tokenizer`: BPE model (vocab, merges), the added tokens, pre_tokenizer
// ByteLevel(add_prefix_space=false, use_regex=true), preceded by
// Digits(individual_digits=true) for smollm, decoder ByteLevel, and no
// post-processor tokens (tokenizer_config.json, written by whoever converts
// the model, says bos/eos and add_bos_token).
void write_tokenizer_json(const ByteLevelBpeTokenizer& tokenizer, const std::string& path);

}  // namespace jstip::data
