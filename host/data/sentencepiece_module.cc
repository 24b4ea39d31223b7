// libjstip_sentencepiece.so: the only code that calls libsentencepiece (see
// sentencepiece_backend.h for why it is a separate, deep-bound module).
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include "host/data/sentencepiece_backend.h"

namespace {

class Model final : public jstip::data::detail::SentencePieceModel {
 public:
  std::string load(const std::string& path) override { return text(sp_.Load(path)); }
  std::string encode(const std::string& input, std::vector<int>* ids) const override {
    return text(sp_.Encode(input, ids));
  }
  std::string decode(const std::vector<int>& ids, std::string* out) const override { return text(sp_.Decode(ids, out)); }
  std::string id_to_piece(int id) const override { return sp_.IdToPiece(id); }
  int piece_to_id(const std::string& piece) const override { return sp_.PieceToId(piece); }
  int size() const override { return sp_.GetPieceSize(); }
  int unk_id() const override { return sp_.unk_id(); }
  int bos_id() const override { return sp_.bos_id(); }
  int eos_id() const override { return sp_.eos_id(); }
  int pad_id() const override { return sp_.pad_id(); }

 private:
  static std::string text(const sentencepiece::util::Status& status) {
    return status.ok() ? "" : (status.ToString().empty() ? "error" : status.ToString());
  }
  sentencepiece::SentencePieceProcessor sp_;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) jstip::data::detail::SentencePieceModel* jstip_sentencepiece_create() {
  return new Model();
}

extern "C" __attribute__((visibility("default"))) bool jstip_sentencepiece_train(const std::string& args,
                                                                                 std::string* error) {
  const auto status = sentencepiece::SentencePieceTrainer::Train(args);
  if (!status.ok()) *error = status.ToString();
  return status.ok();
}
