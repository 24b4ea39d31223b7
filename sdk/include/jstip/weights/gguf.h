// GGUF v3 files (llama.cpp's format): typed metadata and tensors, read with
// every count, length, offset and size checked against the file before use.
//
// Layout (little-endian): "GGUF", u32 version, u64 tensor count, u64 KV count;
// each KV: string key (u64 length + bytes), u32 value type, value; each tensor
// info: name, u32 n_dims, u64 dims (ne0 fastest), u32 ggml type, u64 offset
// into the data section, which starts at the next multiple of
// `general.alignment` (default 32). Supported tensor types: F32, F16, BF16,
// Q8_0, Q4_0, Q4_1 (dequantized on read); any other is refused by name when
// read. See docs/models.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jstip/weights/tensor_source.h"

namespace jstip::gguf {

enum class ValueType : uint32_t {
  U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
  String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};
JSTIP_API const char* value_type_name(ValueType type);  // "u32", "string", "array", ...

// One metadata value. Scalars keep their exact type; integers of any width
// read as int64 (u64 above INT64_MAX is refused on read), floats as double.
struct Value {
  ValueType type = ValueType::U8;
  ValueType element_type = ValueType::U8;  // arrays only
  int64_t integer = 0;                     // U8..I64, Bool (0/1)
  double real = 0;                         // F32, F64
  std::string string;                      // String
  // Arrays: exactly one of these is filled, by element type.
  std::vector<int64_t> integers;
  std::vector<double> reals;
  std::vector<std::string> strings;
  uint64_t array_size() const;

  // Building values (for write_file). Integer types: U8..I64 (range-checked when written).
  static Value of_integer(ValueType type, int64_t v);
  static Value of_real(ValueType type, double v);  // F32 or F64
  static Value of_bool(bool v);
  static Value of_string(std::string v);
  static Value of_integers(ValueType element, std::vector<int64_t> v);  // integer or Bool elements
  static Value of_reals(ValueType element, std::vector<double> v);      // F32 or F64 elements
  static Value of_strings(std::vector<std::string> v);
};

// ggml tensor types by number (the subset jstip names; others print as "type N").
enum class TensorType : uint32_t { F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q8_0 = 8, BF16 = 30 };
JSTIP_API std::string tensor_type_name(uint32_t type);

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order: ne[0] fastest
  uint32_t type = 0;
  uint64_t offset = 0;       // from the start of the data section
  uint64_t bytes = 0;        // computed from ne and type (0 for an unknown type)
};

class JSTIP_API GgufFile : public weights::TensorSource {
 public:
  // Parses and validates the header, metadata and tensor infos (no tensor
  // data read). Throws weights::WeightsError naming the file and the field.
  explicit GgufFile(const std::string& path);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_start() const { return data_start_; }
  const std::map<std::string, Value>& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensor_infos() const { return infos_; }

  // Typed metadata access; errors name the file, the key and the expected type.
  bool has(const std::string& key) const;
  const Value& value(const std::string& key) const;
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  int64_t get_int(const std::string& key) const;  // any integer type
  int64_t get_int(const std::string& key, int64_t fallback) const;
  double get_float(const std::string& key) const;  // F32/F64 (or an integer)
  double get_float(const std::string& key, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  const std::vector<std::string>& get_strings(const std::string& key) const;  // array of string
  const std::vector<int64_t>& get_ints(const std::string& key) const;         // array of integers
  const std::vector<double>& get_floats(const std::string& key) const;        // array of floats

  // weights::TensorSource
  const std::string& path() const override { return path_; }
  std::string format() const override { return "gguf"; }
  std::vector<weights::TensorEntry> entries() const override;
  bool contains(const std::string& name) const override;
  weights::TensorEntry entry(const std::string& name) const override;
  // F32/F16/BF16 are read as stored and converted (undefined dtype: as stored);
  // Q8_0/Q4_0/Q4_1 are dequantized to float32 first. Other types are refused by name.
  torch::Tensor read(const std::string& name, torch::Dtype dtype) const override;

 private:
  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_start_ = 0;
  uint64_t file_size_ = 0;
  std::map<std::string, Value> metadata_;
  std::vector<TensorInfo> infos_;
  std::map<std::string, size_t> index_;
};

// Dequantizes `count` values of ggml type `type` from `bytes` (exactly the
// type's byte size for `count`) into float32. Refuses other types by name.
JSTIP_API void dequantize_row(uint32_t type, const uint8_t* bytes, uint64_t byte_count, float* out, uint64_t count);

// Writes a GGUF v3 file atomically (temp file + rename): the metadata in
// key order given (each value range-checked against its type; a u32
// general.alignment is added when `alignment` is not 32), then F32, F16 or
// BF16 tensors (stored as their dtype; ne reversed from the tensor's shape;
// each padded to `alignment`). For tests, fixtures and `jstip convert`.
struct WriteTensor {
  std::string name;
  torch::Tensor tensor;  // float32, float16 or bfloat16, any device
};
JSTIP_API void write_file(const std::string& path, const std::vector<std::pair<std::string, Value>>& metadata,
                          const std::vector<WriteTensor>& tensors, uint64_t alignment = 32);

}  // namespace jstip::gguf
