#include "host/data/tokenizer.h"

#include <filesystem>
#include <stdexcept>

#include "host/data/byte_bpe_tokenizer.h"
#include "host/data/sentencepiece_tokenizer.h"

namespace jstip::data {
namespace fs = std::filesystem;

WordTokens Tokenizer::encode_words(const std::vector<std::string>& words) const {
  WordTokens out;
  out.word_begin.push_back(0);
  for (size_t w = 0; w < words.size(); ++w) {
    const auto ids = encode(w == 0 ? words[w] : " " + words[w]);
    out.ids.insert(out.ids.end(), ids.begin(), ids.end());
    out.word_begin.push_back(int64_t(out.ids.size()));
  }
  return out;
}

namespace {

enum class Format { SentencePiece, TokenizerJson, Gguf };

// Which backend `path` names, and the tokenizer.json inside a folder.
Format format_of(const std::string& path, std::string* file) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    *file = (fs::path(path) / "tokenizer.json").string();
    if (!fs::exists(*file, ec))
      throw std::runtime_error(path + ": a tokenizer folder must hold tokenizer.json (a Hugging Face tokenizer)");
    return Format::TokenizerJson;
  }
  *file = path;
  const std::string ext = fs::path(path).extension().string();
  if (ext == ".model") return Format::SentencePiece;
  if (ext == ".json") return Format::TokenizerJson;
  if (ext == ".gguf") return Format::Gguf;
  throw std::runtime_error(path + ": not a tokenizer this build reads; expected a sentencepiece .model, a "
                           "Hugging Face tokenizer.json (or a folder holding one) or a .gguf file");
}

}  // namespace

std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& path) {
  std::string file;
  switch (format_of(path, &file)) {
    case Format::SentencePiece: return std::make_shared<const SentencePieceTokenizer>(file);
    case Format::TokenizerJson: return ByteLevelBpeTokenizer::from_tokenizer_json(file);
    case Format::Gguf: return ByteLevelBpeTokenizer::from_gguf(file);
  }
  throw std::logic_error("load_tokenizer: unhandled format");
}

std::vector<std::string> tokenizer_definition_files(const std::string& path) {
  std::string file;
  if (format_of(path, &file) != Format::TokenizerJson) return {file};
  std::vector<std::string> files = {file};
  const std::string config = (fs::path(file).parent_path() / "tokenizer_config.json").string();
  std::error_code ec;
  if (fs::exists(config, ec)) files.push_back(config);
  return files;
}

}  // namespace jstip::data
