// Hand-made CTranslate2 model.bin bytes for the reader's tests and fuzz
// seeds: the layout of every binary version (1..6), each field written as told
// so that a test can make it lie. CTranslate2's own writer made the files in
// tests/weights/fixtures/ct2_*.bin; this one makes what that writer cannot
// (old versions, BF16 beside int8, broken files).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace jstip::ctranslate2::test {

class Bytes {
 public:
  template <typename T>
  Bytes& put(T v) {
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    bytes_.append(raw, sizeof v);
    return *this;
  }
  Bytes& u8(uint8_t v) { return put(v); }
  Bytes& u16(uint16_t v) { return put(v); }
  Bytes& u32(uint32_t v) { return put(v); }
  // A string as CTranslate2 writes it: u16 length counting the trailing NUL.
  Bytes& str(const std::string& s) {
    u16(uint16_t(s.size() + 1));
    bytes_ += s;
    bytes_ += '\0';
    return *this;
  }
  Bytes& raw(const std::string& s) {
    bytes_ += s;
    return *this;
  }
  const std::string& str() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

struct FakeVariable {
  std::string name;
  std::vector<uint32_t> dims;
  uint8_t dtype = 0;  // version >= 4: the type id; version <= 3: the item size
  std::string data;   // the values' bytes
  // The u32 after the type: -1 writes the true one (version >= 4: the byte
  // count; version <= 3: the value count, data.size() / item size).
  int64_t count = -1;
};

// A variable holding `t`'s values (float32, float16, bfloat16, int8, int16, int32).
inline FakeVariable variable_of(const std::string& name, const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  FakeVariable v{name, {}, 0, std::string(static_cast<const char*>(c.data_ptr()), size_t(c.nbytes()))};
  for (int64_t d : c.sizes()) v.dims.push_back(uint32_t(d));
  switch (c.scalar_type()) {
    case torch::kFloat32: v.dtype = 0; break;
    case torch::kInt8: v.dtype = 1; break;
    case torch::kInt16: v.dtype = 2; break;
    case torch::kInt32: v.dtype = 3; break;
    case torch::kFloat16: v.dtype = 4; break;
    case torch::kBFloat16: v.dtype = 5; break;
    default: throw std::invalid_argument("variable_of: unsupported dtype");
  }
  return v;
}

// One encoded variable in `version`'s layout.
inline std::string encode_variable(const FakeVariable& v, uint32_t version) {
  Bytes b;
  b.str(v.name).u8(uint8_t(v.dims.size()));
  for (uint32_t d : v.dims) b.u32(d);
  b.u8(v.dtype);
  const uint64_t item = version >= 4 ? 1 : (v.dtype == 0 ? 1 : v.dtype);  // old files: dtype is the item size
  b.u32(uint32_t(v.count >= 0 ? uint64_t(v.count) : v.data.size() / item));
  b.raw(v.data);
  return b.str();
}

// A whole file. Spec and revision are written from version 2, aliases from version 3.
inline std::string model_bin(uint32_t version, const std::string& spec, uint32_t revision,
                             const std::vector<FakeVariable>& variables,
                             const std::vector<std::pair<std::string, std::string>>& aliases = {}) {
  Bytes b;
  b.u32(version);
  if (version >= 2) b.str(spec).u32(revision);
  b.u32(uint32_t(variables.size()));
  for (const auto& v : variables) b.raw(encode_variable(v, version));
  if (version >= 3) {
    b.u32(uint32_t(aliases.size()));
    for (const auto& [alias, target] : aliases) b.str(alias).str(target);
  }
  return b.str();
}

}  // namespace jstip::ctranslate2::test
