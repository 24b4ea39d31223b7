// Hand-made GGUF bytes for tests that need files write_file() refuses to
// write: each field is written as told, so a test can make it lie.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace jstip::gguf::test {

class Bytes {
 public:
  template <typename T>
  Bytes& put(T v) {
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    bytes_.append(raw, sizeof v);
    return *this;
  }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    bytes_ += s;
    return *this;
  }
  Bytes& raw(const std::string& s) {
    bytes_ += s;
    return *this;
  }
  Bytes& pad_to(uint64_t alignment) {
    bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  const std::string& str() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
};

struct FakeTensor {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order
  uint32_t type = 0;
  uint64_t offset = 0;
};

// A whole file: header (counts as given, or the real ones), `kvs` (already
// encoded KVs, `kv_count` of them), tensor infos, padding, `data`.
inline std::string fake_file(const std::string& kvs, uint64_t kv_count, const std::vector<FakeTensor>& tensors,
                             const std::string& data, uint64_t alignment = 32, uint32_t version = 3) {
  Bytes b;
  b.raw("GGUF").u32(version).u64(tensors.size()).u64(kv_count).raw(kvs);
  for (const auto& t : tensors) {
    b.str(t.name).u32(uint32_t(t.ne.size()));
    for (uint64_t d : t.ne) b.u64(d);
    b.u32(t.type).u64(t.offset);
  }
  b.pad_to(alignment).raw(data);
  return b.str();
}

// One encoded KV of a scalar type (value bytes as given).
template <typename T>
std::string kv(const std::string& key, uint32_t type, T value) {
  return Bytes().str(key).u32(type).put(value).str();
}
inline std::string kv_string(const std::string& key, const std::string& value) {
  return Bytes().str(key).u32(8).str(value).str();
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace jstip::gguf::test
