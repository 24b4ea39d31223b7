// Internal to libjstip_sdk: the shard index of a Hugging Face folder
// (model.safetensors.index.json: {"weight_map": {"tensor": "file"}}), read once
// for every reader of such folders (safetensors::load_directory and the
// safetensors weight source). Not an SDK header: plugins never include it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace jstip::safetensors {

// Shard file -> the tensor names the index puts in it. Throws SafetensorsError
// (or JsonError for bad JSON) naming the index: no 'weight_map' object, an entry
// that is not a string, a shard name that is not a plain file name (an index is
// outside input: shards must stay inside the folder).
std::map<std::string, std::vector<std::string>> read_shard_index(const std::string& index_path);

}  // namespace jstip::safetensors
