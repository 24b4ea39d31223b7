#include "host/data/tokenizer_fingerprint.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "host/data/crc32c.h"

namespace jstip::data {
namespace {

std::string hex(uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

}  // namespace

TokenizerFingerprint fingerprint_tokenizer(const std::string& model_path, int64_t pieces) {
  std::ifstream in(model_path, std::ios::binary);
  if (!in) throw std::runtime_error(model_path + ": cannot read the tokenizer model");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return {crc32c(bytes.data(), bytes.size()), pieces};
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
