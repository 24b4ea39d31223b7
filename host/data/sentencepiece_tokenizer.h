// The SentencePiece backend (BPE or unigram .model files, trained by
// train_tokenizer / `jstip tokenizer train`).
//
// libsentencepiece is reached through a separate module (see
// sentencepiece_backend.h); set JSTIP_SENTENCEPIECE_MODULE to its path when
// it is neither in the build tree nor installed next to the binary.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host/data/tokenizer.h"

namespace jstip::data::detail {
class SentencePieceModel;
}

namespace jstip::data {

class SentencePieceTokenizer final : public Tokenizer {
 public:
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;

  std::string kind() const override { return "sentencepiece"; }
  std::vector<int> encode(const std::string& text) const override;
  std::string decode(const std::vector<int>& ids) const override;
  std::vector<std::string> pieces(const std::vector<int>& ids) const override;
  int vocab_size() const override;
  std::optional<int> token_id(const std::string& piece) const override;
  int bos_id() const override;
  int eos_id() const override;
  int pad_id() const override;
  bool expects_bos() const override { return bos_id() >= 0; }  // jstip's models start with <s>
  std::vector<std::string> definition_files() const override { return {path_}; }

 private:
  std::unique_ptr<detail::SentencePieceModel> processor_;
  std::string path_;
};

}  // namespace jstip::data
