// The files a checkpoint depends on outside its folder: a slot's `pretrained`
// file or folder (the frozen base it leaves out of model.safetensors), each
// recorded by absolute path, size and CRC-32C when training starts, and
// checked again before decoding reads them.
//
// A folder (a Hugging Face model) is recorded by the files its weights and
// sizes come from: config.json, model.safetensors.index.json, every
// *.safetensors and a CTranslate2 model.bin in it; a file by itself.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "jstip/json.h"

namespace jstip::train {

struct FileRecord {
  std::string name;  // inside the recorded folder; "" for the recorded file itself
  int64_t size = 0;
  uint32_t crc32c = 0;
};

// What a `pretrained` value named when it was recorded.
struct PretrainedRecord {
  std::string key;   // "llm.pretrained"
  std::string path;  // absolute
  std::vector<FileRecord> files;
};

// The CRC-32C of a whole file. Hashed once per process for each (path, size,
// modification time): a file that changed is hashed again.
uint32_t file_crc32c(const std::string& path);

// Records `path` (made absolute against the current folder) for `key`.
// Throws naming the key when it does not exist or a folder has no weights.
PretrainedRecord record_pretrained(const std::string& key, const std::string& path);

// Checks that `given` (a path the config names now: the recorded one, or a
// replacement) holds the recorded files, same sizes and CRC-32C. Throws
// std::runtime_error naming `checkpoint`, the key, the recorded path, size and
// CRC and what differs, with what to do about it. `need` says what for:
// "the frozen base" (weights it left out), "the sizes of" (its architecture).
void check_pretrained(const PretrainedRecord& recorded, const std::string& given, const std::string& checkpoint,
                      const std::string& need = "the frozen base");

Json to_json(const PretrainedRecord& record);
// Errors name `origin` (the file the record came from) and the field.
PretrainedRecord pretrained_record_from_json(const Json& json, const std::string& origin);

std::string crc32c_hex(uint32_t crc);

}  // namespace jstip::train
