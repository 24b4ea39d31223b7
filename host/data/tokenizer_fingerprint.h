// A tokenizer's fingerprint, kept in every checkpoint (trainer_state.json,
// "tokenizer"): the CRC-32C of the files that define it (the .model file; a
// tokenizer.json and its tokenizer_config.json, in that order; the .gguf
// file) and its number of pieces.
// Resume, decode and align compare it with the tokenizer they were given, so
// a checkpoint is never read with other token ids than it was trained with
// (a different tokenizer of the same size would otherwise load silently and
// produce nonsense).
#pragma once

#include <cstdint>
#include <string>

#include "jstip/json.h"

namespace jstip::data {

struct TokenizerFingerprint {
  uint32_t crc32c = 0;
  int64_t pieces = 0;
};

class Tokenizer;

// Reads the files tokenizer_definition_files(model_path) names; `pieces` is
// the loaded tokenizer's vocabulary size.
TokenizerFingerprint fingerprint_tokenizer(const std::string& model_path, int64_t pieces);
TokenizerFingerprint fingerprint_tokenizer(const Tokenizer& tokenizer);

// {"crc32c": "1a2b3c4d", "pieces": N, "model": PATH}
Json fingerprint_json(const TokenizerFingerprint& fingerprint, const std::string& model_path);

// Throws std::runtime_error naming the checkpoint, both tokenizer files and
// what differs when `trainer_state` records another tokenizer. A checkpoint
// from before fingerprints (no "tokenizer" field) passes.
void check_tokenizer_fingerprint(const Json& trainer_state, const std::string& checkpoint,
                                 const TokenizerFingerprint& given, const std::string& model_path);

}  // namespace jstip::data
