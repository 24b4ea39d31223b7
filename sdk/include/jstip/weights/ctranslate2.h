// CTranslate2 model.bin files (the format faster-whisper's models ship in),
// read with every count, length, dimension and size checked against the file
// before use. Only the header is parsed on open; a variable's bytes are read
// when it is asked for.
//
// Layout (little-endian; CTranslate2's src/models/model.cc and
// python/ctranslate2/specs/model_spec.py):
//   u32 binary version (1..6);
//   version >= 2: spec name (string), u32 spec revision;
//   u32 variable count; each variable: name (string), u8 rank, rank x u32 dims
//     (slowest first), then
//       version >= 4: u8 dtype (0 F32, 1 I8, 2 I16, 3 I32, 4 F16, 5 BF16), u32 byte count;
//       version <= 3: u8 item size (4 F32, 2 I16, 1 I8), u32 value count;
//     then the data;
//   version >= 3: u32 alias count; each alias: name (string), target (string).
// A string is a u16 length counting a trailing NUL, then that many bytes.
// Versions 5 and 6 changed CTranslate2's quantizer and config.json, not the layout.
//
// Quantized weights: an I8 or I16 variable `<name>` beside a float variable
// `<name>_scale` (I8: one scale per output row, i.e. per index of the first
// dimension; I16: one scale) is dequantized on read as CTranslate2 does:
// value * (1 / scale). An I16 variable whose name ends in "weight" without a
// scale uses CTranslate2's old global scale, 1000. Other integer variables
// (encoder/num_heads, flags) are plain integers. See docs/models.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jstip/weights/tensor_source.h"

namespace jstip::ctranslate2 {

// CTranslate2's DataType numbers (include/ctranslate2/types.h).
enum class DataType : uint8_t { F32 = 0, I8 = 1, I16 = 2, I32 = 3, F16 = 4, BF16 = 5 };
// "F32", "I8", "I16", "I32", "F16", "BF16" (the safetensors names); "type N" for others.
JSTIP_API std::string data_type_name(uint32_t type);
JSTIP_API uint64_t item_size(DataType type);  // bytes per value

// A variable stored in the file.
struct Variable {
  std::string name;
  std::vector<int64_t> shape;  // as stored: first dimension slowest (PyTorch order)
  DataType dtype = DataType::F32;
  uint64_t offset = 0;  // of its data, from the start of the file
  uint64_t bytes = 0;   // of its data: the product of the shape times the item size
};

// A second name for a variable (the file's dedup of tied weights).
struct Alias {
  std::string name;
  std::string target;    // as the file names it (a variable or an earlier alias)
  std::string variable;  // the stored variable it resolves to
};

class JSTIP_API ModelBin : public weights::TensorSource {
 public:
  // `path`: a model.bin file, or a folder holding one. Parses and validates
  // the header, every variable's header and the aliases (no variable data is
  // read). Throws weights::WeightsError naming the file and the field.
  explicit ModelBin(const std::string& path);

  const std::string& file() const { return file_; }  // the model.bin itself
  uint32_t version() const { return version_; }
  const std::string& spec_name() const { return spec_name_; }  // empty before version 2
  uint32_t revision() const { return revision_; }              // 1 before version 2, as CTranslate2 assumes
  const std::vector<Variable>& variables() const { return variables_; }  // in the file's order
  const std::vector<Alias>& aliases() const { return aliases_; }        // in the file's order
  // The stored variable behind a name (itself, or an alias's target).
  // Throws WeightsError naming the file and the name when it is absent.
  const Variable& variable(const std::string& name) const;
  // Whether `name` is dequantized on read (an I8/I16 weight with its scale).
  bool is_quantized(const std::string& name) const;

  // A scalar integer (rank 0, or one value) stored as I8, I16 or I32, e.g.
  // encoder/num_heads. Anything else is a WeightsError naming the variable.
  int64_t read_int(const std::string& name) const;

  // weights::TensorSource. path() is the path as opened (file or folder).
  // entries(): the variables in file order, then the aliases, each listed
  // with its variable's shape and stored type.
  const std::string& path() const override { return path_; }
  std::string format() const override { return "ctranslate2"; }
  std::vector<weights::TensorEntry> entries() const override;
  bool contains(const std::string& name) const override;
  weights::TensorEntry entry(const std::string& name) const override;
  // F32/F16/BF16: read as stored, converted to `dtype` (undefined: as stored);
  // an integer dtype is refused. Quantized I8/I16 weights: dequantized to
  // float32, then converted (undefined: float32); `dtype` equal to the stored
  // integer type gives the raw quantized values. Other integers: their own
  // dtype when `dtype` is undefined, else converted to `dtype`.
  torch::Tensor read(const std::string& name, torch::Dtype dtype) const override;

 private:
  torch::Tensor read_stored(const Variable& v) const;  // the bytes as a tensor of the stored dtype
  const Variable* scale_of(const Variable& v) const;   // its `<name>_scale` variable, if any
  torch::Tensor dequantize(const Variable& v, const torch::Tensor& values) const;

  std::string path_;
  std::string file_;
  uint64_t file_size_ = 0;
  uint32_t version_ = 0;
  std::string spec_name_;
  uint32_t revision_ = 1;
  std::vector<Variable> variables_;
  std::vector<Alias> aliases_;
  std::map<std::string, size_t> index_;  // every name (variables and aliases) -> variables_ index
};

}  // namespace jstip::ctranslate2
