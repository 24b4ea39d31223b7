#include "jstip/weights/gguf.h"

#include <torch/torch.h>

#include <c10/util/Half.h>
#include <c10/util/BFloat16.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

namespace jstip::gguf {
namespace {

using weights::WeightsError;

constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS
constexpr uint64_t kMaxKeyBytes = 1 << 16;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw WeightsError("gguf file '" + path + "': " + what);
}

// ggml type sizes: bytes per block and values per block (llama.cpp ggml.c type_traits).
struct TypeTraits {
  uint32_t type;
  const char* name;
  uint64_t block_values;
  uint64_t block_bytes;
};
const TypeTraits kTypes[] = {
    {0, "F32", 1, 4},        {1, "F16", 1, 2},       {2, "Q4_0", 32, 18},   {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},     {7, "Q5_1", 32, 24},    {8, "Q8_0", 32, 34},   {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},   {11, "Q3_K", 256, 110}, {12, "Q4_K", 256, 144}, {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},  {15, "Q8_K", 256, 292}, {24, "I8", 1, 1},      {25, "I16", 1, 2},
    {26, "I32", 1, 4},       {27, "I64", 1, 8},      {28, "F64", 1, 8},     {30, "BF16", 1, 2},
};
const TypeTraits* traits_of(uint32_t type) {
  for (const auto& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}
bool supported(uint32_t type) { return type == 0 || type == 1 || type == 2 || type == 3 || type == 8 || type == 30; }

// A cursor over the whole file held in memory for the header part only:
// reads are checked against the file size, so a lying count or length is an
// error naming the field, never a huge allocation.
class Reader {
 public:
  Reader(const std::string& path, std::ifstream& in, uint64_t size) : path_(path), in_(in), size_(size) {}
  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }
  void bytes(void* out, uint64_t n, const std::string& field) {
    if (n > remaining())
      fail(path_, field + ": needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                      ", the file ends after " + std::to_string(remaining()));
    in_.read(static_cast<char*>(out), static_cast<std::streamsize>(n));
    if (!in_) fail(path_, field + ": read error at offset " + std::to_string(pos_));
    pos_ += n;
  }
  template <typename T>
  T scalar(const std::string& field) {
    T v;
    bytes(&v, sizeof(T), field);
    return v;
  }
  std::string string(const std::string& field, uint64_t limit = std::numeric_limits<uint64_t>::max()) {
    const auto n = scalar<uint64_t>(field + " length");
    if (n > remaining())
      fail(path_, field + ": string length " + std::to_string(n) + " is past the end of the file (" +
                      std::to_string(remaining()) + " bytes left)");
    if (n > limit) fail(path_, field + ": string length " + std::to_string(n) + " exceeds " + std::to_string(limit));
    std::string s(n, '\0');
    bytes(s.data(), n, field);
    return s;
  }
  // A count of items each at least `min_item_bytes` long must fit in what is left.
  void check_count(uint64_t count, uint64_t min_item_bytes, const std::string& field) {
    if (min_item_bytes > 0 && count > remaining() / min_item_bytes)
      fail(path_, field + " " + std::to_string(count) + " exceeds what the file can hold (" +
                      std::to_string(remaining()) + " bytes left)");
  }

 private:
  const std::string& path_;
  std::ifstream& in_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

uint64_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::Bool: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    default: return 0;
  }
}

bool valid_type(uint32_t t) { return t <= 12; }

// Reads one scalar of type t into `integer` or `real`.
void read_scalar(Reader& r, ValueType t, int64_t* integer, double* real, const std::string& field,
                 const std::string& path) {
  switch (t) {
    case ValueType::U8: *integer = r.scalar<uint8_t>(field); return;
    case ValueType::I8: *integer = r.scalar<int8_t>(field); return;
    case ValueType::U16: *integer = r.scalar<uint16_t>(field); return;
    case ValueType::I16: *integer = r.scalar<int16_t>(field); return;
    case ValueType::U32: *integer = r.scalar<uint32_t>(field); return;
    case ValueType::I32: *integer = r.scalar<int32_t>(field); return;
    case ValueType::I64: *integer = r.scalar<int64_t>(field); return;
    case ValueType::U64: {
      const auto v = r.scalar<uint64_t>(field);
      if (v > uint64_t(std::numeric_limits<int64_t>::max())) fail(path, field + ": u64 value " + std::to_string(v) + " is too large");
      *integer = int64_t(v);
      return;
    }
    case ValueType::Bool: {
      const auto v = r.scalar<uint8_t>(field);
      if (v > 1) fail(path, field + ": bool value " + std::to_string(v) + " (expected 0 or 1)");
      *integer = v;
      return;
    }
    case ValueType::F32: *real = r.scalar<float>(field); return;
    case ValueType::F64: *real = r.scalar<double>(field); return;
    default: fail(path, field + ": not a scalar type");
  }
}

Value read_value(Reader& r, ValueType t, const std::string& field, const std::string& path) {
  Value v;
  v.type = t;
  if (t == ValueType::String) {
    v.string = r.string(field);
  } else if (t == ValueType::Array) {
    const auto element = r.scalar<uint32_t>(field + " element type");
    if (!valid_type(element)) fail(path, field + ": unknown array element type " + std::to_string(element));
    v.element_type = ValueType(element);
    if (v.element_type == ValueType::Array) fail(path, field + ": nested arrays are not supported");
    const auto count = r.scalar<uint64_t>(field + " count");
    const uint64_t item = v.element_type == ValueType::String ? 8 : scalar_size(v.element_type);
    r.check_count(count, item, field + ": array count");
    for (uint64_t i = 0; i < count; ++i) {
      const std::string at = field + "[" + std::to_string(i) + "]";
      if (v.element_type == ValueType::String) {
        v.strings.push_back(r.string(at));
      } else {
        int64_t integer = 0;
        double real = 0;
        read_scalar(r, v.element_type, &integer, &real, at, path);
        if (v.element_type == ValueType::F32 || v.element_type == ValueType::F64) v.reals.push_back(real);
        else v.integers.push_back(integer);
      }
    }
  } else {
    read_scalar(r, t, &v.integer, &v.real, field, path);
  }
  return v;
}

float half_to_float(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return static_cast<float>(c10::Half(bits, c10::Half::from_bits()));
}

}  // namespace

const char* value_type_name(ValueType type) {
  static const char* names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(type);
  return i < 13 ? names[i] : "unknown";
}

uint64_t Value::array_size() const { return integers.size() + reals.size() + strings.size(); }

std::string tensor_type_name(uint32_t type) {
  const TypeTraits* t = traits_of(type);
  return t ? t->name : "type " + std::to_string(type);
}

GgufFile::GgufFile(const std::string& path) : path_(path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open");
  in.seekg(0, std::ios::end);
  file_size_ = static_cast<uint64_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  Reader r(path_, in, file_size_);

  char magic[4];
  r.bytes(magic, 4, "magic");
  if (std::memcmp(magic, "GGUF", 4) != 0) fail(path, "magic is not 'GGUF' (not a GGUF file)");
  version_ = r.scalar<uint32_t>("version");
  if (version_ != 2 && version_ != 3) fail(path, "version " + std::to_string(version_) + " (expected 3)");
  const auto tensor_count = r.scalar<uint64_t>("tensor count");
  const auto kv_count = r.scalar<uint64_t>("metadata count");
  // Smallest KV: key length (8) + type (4) + a 1-byte value; smallest tensor info: 8 + 4 + 8 + 4 + 8.
  r.check_count(kv_count, 13, "metadata count");
  for (uint64_t i = 0; i < kv_count; ++i) {
    const std::string key = r.string("metadata key " + std::to_string(i), kMaxKeyBytes);
    const auto type = r.scalar<uint32_t>("metadata '" + key + "' type");
    if (!valid_type(type)) fail(path, "metadata '" + key + "': unknown value type " + std::to_string(type));
    Value v = read_value(r, ValueType(type), "metadata '" + key + "'", path_);
    if (!metadata_.emplace(key, std::move(v)).second) fail(path, "metadata '" + key + "' appears twice");
  }
  if (has("general.alignment")) {
    const int64_t a = get_int("general.alignment");
    if (a <= 0 || (a & (a - 1)) != 0 || a > (1 << 20))
      fail(path, "metadata 'general.alignment' is " + std::to_string(a) + " (expected a power of two)");
    alignment_ = uint64_t(a);
  }
  r.check_count(tensor_count, 32, "tensor count");
  for (uint64_t i = 0; i < tensor_count; ++i) {
    TensorInfo info;
    info.name = r.string("tensor " + std::to_string(i) + " name", kMaxKeyBytes);
    const std::string field = "tensor '" + info.name + "'";
    const auto n_dims = r.scalar<uint32_t>(field + " n_dims");
    if (n_dims < 1 || n_dims > kMaxDims) fail(path, field + ": n_dims " + std::to_string(n_dims) + " (expected 1..4)");
    uint64_t values = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = r.scalar<uint64_t>(field + " dim " + std::to_string(d));
      if (ne == 0 || ne > (uint64_t{1} << 40) || values > (uint64_t{1} << 50) / ne)
        fail(path, field + ": dim " + std::to_string(d) + " is " + std::to_string(ne) + " (absurd or overflowing)");
      values *= ne;
      info.ne.push_back(ne);
    }
    info.type = r.scalar<uint32_t>(field + " type");
    info.offset = r.scalar<uint64_t>(field + " offset");
    const TypeTraits* t = traits_of(info.type);
    if (!t) fail(path, field + ": unknown ggml type " + std::to_string(info.type));
    if (info.ne[0] % t->block_values != 0)
      fail(path, field + ": ne0 " + std::to_string(info.ne[0]) + " is not a multiple of the " + t->name +
                     " block size " + std::to_string(t->block_values));
    info.bytes = values / t->block_values * t->block_bytes;
    if (info.offset % alignment_ != 0)
      fail(path, field + ": offset " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                     std::to_string(alignment_));
    if (!index_.emplace(info.name, infos_.size()).second) fail(path, field + " appears twice");
    infos_.push_back(std::move(info));
  }
  data_start_ = (r.position() + alignment_ - 1) / alignment_ * alignment_;
  if (tensor_count > 0 && data_start_ > file_size_) fail(path, "data section starts past the end of the file");
  const uint64_t data_size = data_start_ <= file_size_ ? file_size_ - data_start_ : 0;
  for (const auto& info : infos_)
    if (info.offset > data_size || info.bytes > data_size - info.offset)
      fail(path, "tensor '" + info.name + "': data [" + std::to_string(info.offset) + ", +" +
                     std::to_string(info.bytes) + ") is outside the data section (" + std::to_string(data_size) +
                     " bytes)");
}

bool GgufFile::has(const std::string& key) const { return metadata_.count(key) > 0; }

const Value& GgufFile::value(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) fail(path_, "metadata key '" + key + "' is missing");
  return it->second;
}

namespace {
bool is_integer(ValueType t) { return scalar_size(t) > 0 && t != ValueType::F32 && t != ValueType::F64; }
[[noreturn]] void wrong_type(const std::string& path, const std::string& key, const Value& v, const char* expected) {
  std::string have = value_type_name(v.type);
  if (v.type == ValueType::Array) have += std::string(" of ") + value_type_name(v.element_type);
  fail(path, "metadata '" + key + "' is " + have + ", expected " + expected);
}
}  // namespace

std::string GgufFile::get_string(const std::string& key) const {
  const Value& v = value(key);
  if (v.type != ValueType::String) wrong_type(path_, key, v, "string");
  return v.string;
}
std::string GgufFile::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}
int64_t GgufFile::get_int(const std::string& key) const {
  const Value& v = value(key);
  if (!is_integer(v.type) || v.type == ValueType::Bool) wrong_type(path_, key, v, "an integer");
  return v.integer;
}
int64_t GgufFile::get_int(const std::string& key, int64_t fallback) const { return has(key) ? get_int(key) : fallback; }
double GgufFile::get_float(const std::string& key) const {
  const Value& v = value(key);
  if (v.type == ValueType::F32 || v.type == ValueType::F64) return v.real;
  if (is_integer(v.type) && v.type != ValueType::Bool) return double(v.integer);
  wrong_type(path_, key, v, "a number");
}
double GgufFile::get_float(const std::string& key, double fallback) const { return has(key) ? get_float(key) : fallback; }
bool GgufFile::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const Value& v = value(key);
  if (v.type != ValueType::Bool) wrong_type(path_, key, v, "bool");
  return v.integer != 0;
}
const std::vector<std::string>& GgufFile::get_strings(const std::string& key) const {
  const Value& v = value(key);
  if (v.type != ValueType::Array || v.element_type != ValueType::String) wrong_type(path_, key, v, "array of string");
  return v.strings;
}
const std::vector<int64_t>& GgufFile::get_ints(const std::string& key) const {
  const Value& v = value(key);
  if (v.type != ValueType::Array || !is_integer(v.element_type)) wrong_type(path_, key, v, "array of integers");
  return v.integers;
}
const std::vector<double>& GgufFile::get_floats(const std::string& key) const {
  const Value& v = value(key);
  if (v.type != ValueType::Array || (v.element_type != ValueType::F32 && v.element_type != ValueType::F64))
    wrong_type(path_, key, v, "array of floats");
  return v.reals;
}

std::vector<weights::TensorEntry> GgufFile::entries() const {
  std::vector<weights::TensorEntry> out;
  for (const auto& info : infos_) out.push_back(entry(info.name));
  return out;
}

bool GgufFile::contains(const std::string& name) const { return index_.count(name) > 0; }

weights::TensorEntry GgufFile::entry(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail(path_, "has no tensor '" + name + "'");
  const TensorInfo& info = infos_[it->second];
  weights::TensorEntry e;
  e.name = name;
  for (auto d = info.ne.rbegin(); d != info.ne.rend(); ++d) e.shape.push_back(int64_t(*d));
  e.type = tensor_type_name(info.type);
  return e;
}

void dequantize_row(uint32_t type, const uint8_t* bytes, uint64_t byte_count, float* out, uint64_t count) {
  const TypeTraits* t = traits_of(type);
  if (!t || !supported(type))
    throw WeightsError("gguf: type " + tensor_type_name(type) +
                       " is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
  if (count % t->block_values != 0 || byte_count != count / t->block_values * t->block_bytes)
    throw WeightsError("gguf: " + std::to_string(byte_count) + " bytes do not hold " + std::to_string(count) + " " +
                       t->name + " values");
  const uint64_t blocks = count / t->block_values;
  switch (type) {
    case 0: std::memcpy(out, bytes, count * 4); return;
    case 1:
      for (uint64_t i = 0; i < count; ++i) out[i] = half_to_float(bytes + 2 * i);
      return;
    case 30:
      for (uint64_t i = 0; i < count; ++i) {
        uint16_t bits;
        std::memcpy(&bits, bytes + 2 * i, 2);
        out[i] = static_cast<float>(c10::BFloat16(bits, c10::BFloat16::from_bits()));
      }
      return;
    case 8:  // Q8_0: f16 d, 32 x int8
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* p = bytes + b * 34;
        const float d = half_to_float(p);
        const auto* q = reinterpret_cast<const int8_t*>(p + 2);
        for (int j = 0; j < 32; ++j) out[b * 32 + j] = float(q[j]) * d;
      }
      return;
    case 2:  // Q4_0: f16 d, 16 bytes of nibbles, value = (q - 8) * d
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* p = bytes + b * 18;
        const float d = half_to_float(p);
        for (int j = 0; j < 16; ++j) {
          out[b * 32 + j] = float(int(p[2 + j] & 15) - 8) * d;
          out[b * 32 + j + 16] = float(int(p[2 + j] >> 4) - 8) * d;
        }
      }
      return;
    case 3:  // Q4_1: f16 d, f16 m, 16 bytes of nibbles, value = q * d + m
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* p = bytes + b * 20;
        const float d = half_to_float(p), m = half_to_float(p + 2);
        for (int j = 0; j < 16; ++j) {
          out[b * 32 + j] = float(p[4 + j] & 15) * d + m;
          out[b * 32 + j + 16] = float(p[4 + j] >> 4) * d + m;
        }
      }
      return;
  }
}

torch::Tensor GgufFile::read(const std::string& name, torch::Dtype dtype) const {
  const weights::TensorEntry e = entry(name);
  const TensorInfo& info = infos_[index_.at(name)];
  if (!supported(info.type))
    fail(path_, "tensor '" + name + "': type " + e.type + " is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)");
  std::vector<uint8_t> raw(info.bytes);
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(data_start_ + info.offset));
  in.read(reinterpret_cast<char*>(raw.data()), static_cast<std::streamsize>(raw.size()));
  if (!in) fail(path_, "tensor '" + name + "': cannot read its " + std::to_string(info.bytes) + " bytes (file changed?)");
  auto out = torch::empty(e.shape, torch::kFloat32);
  dequantize_row(info.type, raw.data(), raw.size(), out.data_ptr<float>(), uint64_t(out.numel()));
  return dtype == torch::kFloat32 ? out : out.to(dtype);
}

namespace {
void put(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
template <typename T>
void put(std::string& out, T v) { put(out, &v, sizeof v); }
void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}
void put_scalar(std::string& out, ValueType t, int64_t integer, double real) {
  switch (t) {
    case ValueType::U8: case ValueType::Bool: put<uint8_t>(out, uint8_t(integer)); return;
    case ValueType::I8: put<int8_t>(out, int8_t(integer)); return;
    case ValueType::U16: put<uint16_t>(out, uint16_t(integer)); return;
    case ValueType::I16: put<int16_t>(out, int16_t(integer)); return;
    case ValueType::U32: put<uint32_t>(out, uint32_t(integer)); return;
    case ValueType::I32: put<int32_t>(out, int32_t(integer)); return;
    case ValueType::U64: put<uint64_t>(out, uint64_t(integer)); return;
    case ValueType::I64: put<int64_t>(out, integer); return;
    case ValueType::F32: put<float>(out, float(real)); return;
    case ValueType::F64: put<double>(out, real); return;
    default: throw WeightsError("gguf write: not a scalar type");
  }
}
}  // namespace

void write_file(const std::string& path, const std::vector<std::pair<std::string, Value>>& metadata,
                const std::vector<WriteTensor>& tensors, uint64_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) throw WeightsError("gguf write '" + path + "': bad alignment");
  std::string out = "GGUF";
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors.size());
  put<uint64_t>(out, metadata.size());
  for (const auto& [key, v] : metadata) {
    put_string(out, key);
    put<uint32_t>(out, uint32_t(v.type));
    if (v.type == ValueType::String) {
      put_string(out, v.string);
    } else if (v.type == ValueType::Array) {
      put<uint32_t>(out, uint32_t(v.element_type));
      put<uint64_t>(out, v.array_size());
      for (const auto& s : v.strings) put_string(out, s);
      for (int64_t i : v.integers) put_scalar(out, v.element_type, i, 0);
      for (double f : v.reals) put_scalar(out, v.element_type, 0, f);
    } else {
      put_scalar(out, v.type, v.integer, v.real);
    }
  }
  std::vector<torch::Tensor> data;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    auto c = t.tensor.detach().to(torch::kCPU).contiguous();
    uint32_t type = c.scalar_type() == torch::kFloat32 ? 0 : c.scalar_type() == torch::kFloat16 ? 1
                  : c.scalar_type() == torch::kBFloat16 ? 30 : 99;
    if (type == 99) throw WeightsError("gguf write '" + path + "': tensor '" + t.name + "' is not f32, f16 or bf16");
    put_string(out, t.name);
    put<uint32_t>(out, uint32_t(c.dim()));
    for (int64_t d = c.dim() - 1; d >= 0; --d) put<uint64_t>(out, uint64_t(c.size(d)));
    put<uint32_t>(out, type);
    put<uint64_t>(out, offset);
    offset += (uint64_t(c.nbytes()) + alignment - 1) / alignment * alignment;
    data.push_back(c);
  }
  out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  for (const auto& c : data) {
    put(out, c.data_ptr(), c.nbytes());
    out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  }
  const std::string temp = path + ".tmp";
  {
    std::ofstream f(temp, std::ios::binary | std::ios::trunc);
    f.write(out.data(), static_cast<std::streamsize>(out.size()));
    if (!f) throw WeightsError("gguf write '" + temp + "': cannot write");
  }
  std::filesystem::rename(temp, path);
}

}  // namespace jstip::gguf
