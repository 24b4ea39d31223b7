// The tokenizer a run trains with, copied into the run once (<run>/tokenizer/)
// and hard-linked into every checkpoint, so that a checkpoint decodes with the
// same token ids wherever it is read and whether or not the original is still
// there.
//
//   x.model                    copied as is
//   tokenizer.json (a folder)  tokenizer.json and tokenizer_config.json, as is
//   x.gguf                     its tokenizer written as tokenizer.json and
//                              tokenizer_config.json (bos/eos/pad, add_bos_token,
//                              the chat template), about 3 MB instead of the
//                              whole model file, after reading the written
//                              files back gives the same definition (pieces,
//                              merges, added tokens, special ids, pre-tokenizer);
//                              else the .gguf itself is copied
#pragma once

#include <string>

#include "host/data/tokenizer_fingerprint.h"
#include "jstip/json.h"

namespace jstip::train {

struct TokenizerCopy {
  std::string file;    // what load_tokenizer reads, inside the copy's folder ("tok.model", "tokenizer.json")
  std::string source;  // the tokenizer it copies (absolute)
  bool converted = false;  // a .gguf's tokenizer written as tokenizer.json
  data::TokenizerFingerprint fingerprint;  // of the copy's files
};

// Writes the copy of `tokenizer_path` into `folder`, replacing what is there
// (written beside it and renamed). Errors name the tokenizer.
TokenizerCopy copy_tokenizer(const std::string& tokenizer_path, const std::string& folder);

// A chat template's text (a .gguf's tokenizer.chat_template, a folder's
// tokenizer_config.json chat_template) as `folder`/tokenizer_config.json, which
// load_chat_template(folder) reads.
void copy_chat_template(const std::string& source, const std::string& folder);

Json to_json(const TokenizerCopy& copy);
TokenizerCopy tokenizer_copy_from_json(const Json& json, const std::string& origin);

}  // namespace jstip::train
