// Internal: the boundary to libsentencepiece, which lives in its own module
// (libjstip_sentencepiece.so) loaded with RTLD_DEEPBIND.
//
// Why: Debian's libsentencepiece carries a private copy of protobuf-lite 3.14
// with the same symbol names as the system libprotobuf 3.21 that LibTorch
// and our records load; linked normally, sentencepiece's calls bind to the
// wrong protobuf and abort ("compiled against version 3.14.0"). Loaded deep-
// bound, it keeps its own copy. Only virtual calls and two C entry points
// cross the boundary.
#pragma once

#include <string>
#include <vector>

namespace jstip::data::detail {

class SentencePieceModel {
 public:
  virtual ~SentencePieceModel() = default;
  // Each returns "" on success or the error text.
  virtual std::string load(const std::string& path) = 0;
  virtual std::string encode(const std::string& text, std::vector<int>* ids) const = 0;
  virtual std::string decode(const std::vector<int>& ids, std::string* text) const = 0;
  virtual std::string id_to_piece(int id) const = 0;
  virtual int piece_to_id(const std::string& piece) const = 0;
  virtual int size() const = 0;
  virtual int unk_id() const = 0;
  virtual int bos_id() const = 0;
  virtual int eos_id() const = 0;
  virtual int pad_id() const = 0;
};

}  // namespace jstip::data::detail

extern "C" {
// Names looked up with dlsym.
typedef jstip::data::detail::SentencePieceModel* (*JstipSentencePieceCreateFn)();
typedef bool (*JstipSentencePieceTrainFn)(const std::string& args, std::string* error);
}
