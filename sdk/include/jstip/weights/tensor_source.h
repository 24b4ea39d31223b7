// Weight sources: one interface over every checkpoint format jstip reads
// (safetensors files and Hugging Face folders, GGUF files, CTranslate2
// model.bin files and folders). A source lists tensor names with their stored shape and type,
// and reads one tensor at a time into a CPU tensor of the dtype the model
// wants (quantized types are dequantized on read).
//
// Names are the format's own ("blk.0.attn_q.weight" in GGUF,
// "model.layers.0.self_attn.q_proj.weight" in safetensors); a family's name
// table (jstip/weights/name_table.h) maps them to the model's parameter names.
// Shapes are in PyTorch order (first dimension slowest): a GGUF weight with
// ne = [in, out] is listed as [out, in].
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jstip/export.h"

namespace jstip::weights {

// Every reader's error: the message names the file and the field, tensor or key.
class JSTIP_API WeightsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorEntry {
  std::string name;
  std::vector<int64_t> shape;  // PyTorch order
  std::string type;            // the stored type's name: "F32", "F16", "BF16", "Q8_0", "Q4_1", ...
};

class JSTIP_API TensorSource {
 public:
  virtual ~TensorSource();
  virtual const std::string& path() const = 0;   // file or folder, as opened
  virtual std::string format() const = 0;        // "safetensors", "gguf", ...
  virtual std::vector<TensorEntry> entries() const = 0;  // in the file's order
  virtual bool contains(const std::string& name) const = 0;
  // Throws WeightsError naming the path and the tensor when it is absent.
  virtual TensorEntry entry(const std::string& name) const = 0;
  // The tensor as a contiguous CPU tensor of `dtype` (a floating dtype for
  // floating or quantized storage; integer storage keeps its own dtype when
  // `dtype` is undefined).
  virtual torch::Tensor read(const std::string& name, torch::Dtype dtype) const = 0;
};

// Opens a weight file or folder by what it is: a `.gguf` file, a
// `.safetensors` file, a file named `model.bin` (CTranslate2), or a folder
// holding Hugging Face weights (model.safetensors or an index of shards) or
// a CTranslate2 model.bin. Anything else is a WeightsError that says what was
// expected.
JSTIP_API std::unique_ptr<TensorSource> open_tensor_source(const std::string& path);

}  // namespace jstip::weights
