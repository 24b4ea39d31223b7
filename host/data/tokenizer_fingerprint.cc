#include "host/data/tokenizer_fingerprint.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "host/data/crc32c.h"
#include "host/data/tokenizer.h"

namespace jstip::data {
namespace {

std::string hex(uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

// The CRC-32C of the files' bytes one after the other (one file: its own CRC,
// as checkpoints from before several files recorded it).
uint32_t crc_of_files(const std::vector<std::string>& files) {
  uint32_t crc = 0;
  std::vector<char> buffer(1 << 20);
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error(file + ": cannot read the tokenizer file");
    while (in) {
      in.read(buffer.data(), std::streamsize(buffer.size()));
      crc = crc32c_extend(crc, buffer.data(), size_t(in.gcount()));
    }
    if (!in.eof()) throw std::runtime_error(file + ": read error while fingerprinting the tokenizer");
  }
  return crc;
}

}  // namespace

TokenizerFingerprint fingerprint_tokenizer(const std::string& model_path, int64_t pieces) {
  return {crc_of_files(tokenizer_definition_files(model_path)), pieces};
}

TokenizerFingerprint fingerprint_tokenizer(const Tokenizer& tokenizer) {
  return {crc_of_files(tokenizer.definition_files()), tokenizer.vocab_size()};
}

Json fingerprint_json(const TokenizerFingerprint& fingerprint, const std::string& model_path) {
  Json j = Json::object();
  j.set("crc32c", Json::string(hex(fingerprint.crc32c)));
  j.set("pieces", Json::integer(fingerprint.pieces));
  j.set("model", Json::string(model_path));
  return j;
}

void check_tokenizer_fingerprint(const Json& trainer_state, const std::string& checkpoint,
                                 const TokenizerFingerprint& given, const std::string& model_path) {
  const Json* recorded = trainer_state.find("tokenizer");
  if (!recorded) return;
  const std::string crc = recorded->get_string("crc32c", "");
  const int64_t pieces = recorded->get_int("pieces", -1);
  if (crc == hex(given.crc32c) && pieces == given.pieces) return;
  throw std::runtime_error(
      checkpoint + " was trained with the tokenizer " + recorded->get_string("model", "?") + " (" +
      std::to_string(pieces) + " pieces, crc32c " + crc + "), but the tokenizer given is " + model_path + " (" +
      std::to_string(given.pieces) + " pieces, crc32c " + hex(given.crc32c) +
      "): its token ids would mean other pieces. Give the tokenizer it was trained with (tokenizer.model=PATH)");
}

}  // namespace jstip::data
