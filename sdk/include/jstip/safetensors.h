// Native safetensors reading and writing (no pickle: nothing runs on load).
//
// File layout: 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"k": "v"}}, then the raw data. The reader checks every
// size and offset against the file before touching data, so a header that lies
// is an error naming the tensor, never an out-of-bounds read.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "jstip/export.h"

namespace jstip::safetensors {

class JSTIP_API SafetensorsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using TensorMap = std::map<std::string, torch::Tensor>;
using Metadata = std::map<std::string, std::string>;

struct TensorInfo {
  std::string dtype;           // "F32", "F16", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;          // byte offsets into the data section
  uint64_t end = 0;
};

struct Header {
  std::map<std::string, TensorInfo> tensors;
  Metadata metadata;
  uint64_t data_start = 0;  // file offset of the data section
};

// Parses and validates the header of a file (no tensor data read).
JSTIP_API Header read_header(const std::string& path);

// Loads tensors (all, or only `names` when non-empty) as CPU tensors of their stored dtype.
JSTIP_API TensorMap load_file(const std::string& path, const std::vector<std::string>& names = {},
                              Metadata* metadata = nullptr);

// Writes tensors (any device; contiguous copies are made) atomically.
// Supported dtypes: float32/16, bfloat16, float64, int64/32/16/8, uint8, bool.
JSTIP_API void save_file(const std::string& path, const TensorMap& tensors, const Metadata& metadata = {});

// A Hugging Face model directory: model.safetensors, or shards listed in
// model.safetensors.index.json ({"weight_map": {"name": "file"}}).
JSTIP_API TensorMap load_directory(const std::string& directory);

// Writes model.safetensors, or shards model-0000i-of-0000n.safetensors plus
// the index when the tensors exceed `max_shard_bytes` (0 = never shard).
JSTIP_API void save_directory(const std::string& directory, const TensorMap& tensors,
                              uint64_t max_shard_bytes = 0, const Metadata& metadata = {});

// "F32" <-> torch dtype; unknown names throw.
JSTIP_API torch::Dtype dtype_from_name(const std::string& name);
JSTIP_API std::string dtype_name(torch::Dtype dtype);

}  // namespace jstip::safetensors
