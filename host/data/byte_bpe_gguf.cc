// ByteLevelBpeTokenizer from a GGUF file's tokenizer.ggml.* keys (llama.cpp's
// names): model "gpt2" (byte-level BPE), pre (the pre-tokenizer), tokens,
// token_type, merges ("left right"), bos/eos/padding_token_id, add_bos_token.
#include <stdexcept>

#include "host/data/byte_bpe_tokenizer.h"
#include "jstip/weights/gguf.h"

namespace jstip::data {
namespace {

// llama.cpp's token types (llama_vocab::token_type / LLAMA_TOKEN_TYPE_*).
constexpr int64_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kByte = 6;

// llama.cpp's names whose regexes are these two (llama-vocab.cpp, llm_tokenizer_bpe).
PreTokenizerKind pre_tokenizer_of(const std::string& pre, const std::string& file) {
  for (const char* name : {"smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"})
    if (pre == name) return PreTokenizerKind::Smollm;
  if (pre == "gpt2") return PreTokenizerKind::Gpt2;
  throw std::runtime_error(
      file + ": tokenizer.ggml.pre '" + pre +
      "' is not supported (this build knows smollm and the names sharing its regexes, and gpt2; llama.cpp's "
      "'default' also splits punctuation and groups of 3 digits, which no Hugging Face tokenizer does)");
}

}  // namespace

std::shared_ptr<const ByteLevelBpeTokenizer> ByteLevelBpeTokenizer::from_gguf(const std::string& path) {
  const gguf::GgufFile file(path);
  const std::string model = file.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    throw std::runtime_error(path + ": tokenizer.ggml.model '" + model +
                             "' is not supported (only gpt2, byte-level BPE)");
  ByteBpeDefinition d;
  d.source = path;
  d.files = {path};
  // No key means llama.cpp's "default" (which it warns degrades generation): refused the same way.
  d.pre_tokenizer = pre_tokenizer_of(file.get_string("tokenizer.ggml.pre", "default"), path);
  d.pieces = file.get_strings("tokenizer.ggml.tokens");
  if (file.has("tokenizer.ggml.token_type")) {
    const std::vector<int64_t>& types = file.get_ints("tokenizer.ggml.token_type");
    if (types.size() != d.pieces.size())
      throw std::runtime_error(path + ": tokenizer.ggml.token_type has " + std::to_string(types.size()) +
                               " entries for " + std::to_string(d.pieces.size()) + " tokens");
    for (size_t id = 0; id < types.size(); ++id) {
      const int64_t type = types[id];
      if (type < kNormal || type > kByte)
        throw std::runtime_error(path + ": tokenizer.ggml.token_type[" + std::to_string(id) + "] is " +
                                 std::to_string(type) + " (expected 1..6)");
      if (type == kByte)
        throw std::runtime_error(path + ": tokenizer.ggml.token_type[" + std::to_string(id) +
                                 "] is 6 (byte fallback), which a gpt2 vocabulary does not use");
      // As llama.cpp's parse_special: control, user-defined and unknown tokens are matched whole in text.
      if (type == kControl || type == kUserDefined || type == kUnknown)
        d.added.push_back({int(id), d.pieces[id], type != kUserDefined, false});
    }
  }
  const std::vector<std::string>& merges = file.get_strings("tokenizer.ggml.merges");
  d.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string& m = merges[i];
    const size_t space = m.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == m.size() || m.find(' ', space + 1) != std::string::npos)
      throw std::runtime_error(path + ": tokenizer.ggml.merges[" + std::to_string(i) + "] is '" + m +
                               "' (expected \"left right\")");
    d.merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  const auto token_key = [&](const std::string& key) {
    const int64_t id = file.get_int(key, -1);
    if (id < -1 || id >= int64_t(d.pieces.size()))
      throw std::runtime_error(path + ": " + key + " is " + std::to_string(id) + ", outside the " +
                               std::to_string(d.pieces.size()) + " tokens");
    return int(id);
  };
  d.bos = token_key("tokenizer.ggml.bos_token_id");
  d.eos = token_key("tokenizer.ggml.eos_token_id");
  d.pad = token_key("tokenizer.ggml.padding_token_id");
  d.add_bos = file.get_bool("tokenizer.ggml.add_bos_token", false);
  return std::make_shared<const ByteLevelBpeTokenizer>(std::move(d));
}

}  // namespace jstip::data
