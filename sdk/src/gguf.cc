#include "jstip/weights/gguf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <set>

// GGUF is little-endian and the reader copies scalars as they lie.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the GGUF reader assumes a little-endian host");

#include "file_read.h"

namespace jstip::gguf {
namespace {

using weights::WeightsError;

constexpr uint32_t kMaxDims = 4;             // GGML_MAX_DIMS
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;  // key length, value type, a 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims (0), type, offset
constexpr const char* kSupported = "F32, F16, BF16, Q8_0, Q4_0, Q4_1";

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw WeightsError("gguf file '" + path + "': " + what);
}

// Names and keys come from the file: control bytes are escaped and long ones cut
// so that an error message stays one readable line.
std::string quote_name(const std::string& s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < 160; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '\'') {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > 160) out += "...";
  return out + "'";
}

// ggml's type table (llama.cpp ggml.c type_traits): values and bytes per block.
struct TypeTraits {
  uint32_t type;
  const char* name;
  uint64_t block_values;
  uint64_t block_bytes;
};
const TypeTraits kTypes[] = {
    {0, "F32", 1, 4},          {1, "F16", 1, 2},          {2, "Q4_0", 32, 18},     {3, "Q4_1", 32, 20},
    {6, "Q5_0", 32, 22},       {7, "Q5_1", 32, 24},       {8, "Q8_0", 32, 34},     {9, "Q8_1", 32, 36},
    {10, "Q2_K", 256, 84},     {11, "Q3_K", 256, 110},    {12, "Q4_K", 256, 144},  {13, "Q5_K", 256, 176},
    {14, "Q6_K", 256, 210},    {15, "Q8_K", 256, 292},    {16, "IQ2_XXS", 256, 66}, {17, "IQ2_XS", 256, 74},
    {18, "IQ3_XXS", 256, 98},  {19, "IQ1_S", 256, 50},    {20, "IQ4_NL", 32, 18},  {21, "IQ3_S", 256, 110},
    {22, "IQ2_S", 256, 82},    {23, "IQ4_XS", 256, 136},  {24, "I8", 1, 1},        {25, "I16", 1, 2},
    {26, "I32", 1, 4},         {27, "I64", 1, 8},         {28, "F64", 1, 8},       {29, "IQ1_M", 256, 56},
    {30, "BF16", 1, 2},        {34, "TQ1_0", 256, 54},    {35, "TQ2_0", 256, 66},  {39, "MXFP4", 32, 17},
};
const TypeTraits* traits_of(uint32_t type) {
  for (const auto& t : kTypes)
    if (t.type == type) return &t;
  return nullptr;
}
bool supported(uint32_t type) {
  return type == 0 || type == 1 || type == 30 || type == 8 || type == 2 || type == 3;
}

using jstip::detail::Fd;
using jstip::detail::pread_all;

// A buffered cursor over the header part of the file. Every read is checked
// against the file size first, so a lying count or length is an error naming
// the field, never a huge allocation or a read past the end. Errors read
// "<context> <field>: ...", the context being the KV or tensor being parsed.
class Reader {
 public:
  Reader(const std::string& path, int fd, uint64_t size) : path_(path), fd_(fd), size_(size), buffer_(1 << 20) {}
  uint64_t position() const { return buffer_start_ + buffer_pos_; }
  uint64_t remaining() const { return size_ - position(); }
  void context(std::string c) {
    context_ = std::move(c);
    element_ = -1;
  }
  void element(int64_t i) { element_ = i; }

  // "key 'k' element 3 string", "tensor 'w' dims", "header tensor count".
  std::string where(const char* field) const {
    std::string out = context_;
    if (element_ >= 0) out += " element " + std::to_string(element_);
    if (*field) out += (out.empty() ? "" : " ") + std::string(field);
    return out;
  }
  [[noreturn]] void fail_field(const char* field, const std::string& what) const {
    fail(path_, where(field) + ": " + what);
  }

  void bytes(void* out, uint64_t n, const char* field) {
    if (n > remaining())
      fail_field(field, "needs " + std::to_string(n) + " bytes at offset " + std::to_string(position()) +
                            " but the file ends at " + std::to_string(size_));
    auto* dst = static_cast<uint8_t*>(out);
    while (n > 0) {
      if (buffer_pos_ == buffer_len_) refill(field);
      const uint64_t take = std::min<uint64_t>(n, buffer_len_ - buffer_pos_);
      std::memcpy(dst, buffer_.data() + buffer_pos_, take);
      dst += take;
      n -= take;
      buffer_pos_ += take;
    }
  }
  template <typename T>
  T scalar(const char* field) {
    T v;
    bytes(&v, sizeof v, field);
    return v;
  }
  std::string string(const char* field) {
    const auto n = scalar<uint64_t>(field);
    if (n > remaining())
      fail_field(field, "string length " + std::to_string(n) + " at offset " + std::to_string(position() - 8) +
                            " runs past the end of the file (" + std::to_string(remaining()) + " bytes left)");
    std::string s(n, '\0');
    bytes(s.data(), n, field);
    return s;
  }
  // `count` items of at least `min_item_bytes` each must fit in what is left.
  void check_count(uint64_t count, uint64_t min_item_bytes, uint64_t reserved, const char* field,
                   const std::string& items) {
    const uint64_t room = remaining() > reserved ? remaining() - reserved : 0;
    if (count > room / min_item_bytes)
      fail(path_, where(field) + " " + std::to_string(count) + " exceeds what the file can hold (" +
                      std::to_string(room) + " bytes left hold at most " + std::to_string(room / min_item_bytes) +
                      " " + items + ")");
  }

 private:
  void refill(const char* field) {
    buffer_start_ += buffer_len_;
    buffer_pos_ = 0;
    buffer_len_ = std::min<uint64_t>(buffer_.size(), size_ - buffer_start_);
    if (!pread_all(fd_, buffer_.data(), buffer_len_, buffer_start_))
      fail_field(field, "read error at offset " + std::to_string(buffer_start_) + " (file changed while reading?)");
  }

  const std::string& path_;
  int fd_;
  uint64_t size_;
  std::vector<uint8_t> buffer_;
  uint64_t buffer_start_ = 0, buffer_len_ = 0, buffer_pos_ = 0;
  std::string context_;
  int64_t element_ = -1;
};

bool valid_value_type(uint32_t t) { return t <= 12; }

uint64_t scalar_size(ValueType t) {
  switch (t) {
    case ValueType::U8: case ValueType::I8: case ValueType::Bool: return 1;
    case ValueType::U16: case ValueType::I16: return 2;
    case ValueType::U32: case ValueType::I32: case ValueType::F32: return 4;
    case ValueType::U64: case ValueType::I64: case ValueType::F64: return 8;
    default: return 0;
  }
}
bool is_integer_type(ValueType t) { return scalar_size(t) > 0 && t != ValueType::F32 && t != ValueType::F64; }
bool is_real_type(ValueType t) { return t == ValueType::F32 || t == ValueType::F64; }

// One scalar of type t (not String or Array): integers and bools into `integer`, floats into `real`.
void read_scalar(Reader& r, ValueType t, int64_t* integer, double* real) {
  switch (t) {
    case ValueType::U8: *integer = r.scalar<uint8_t>("value"); return;
    case ValueType::I8: *integer = r.scalar<int8_t>("value"); return;
    case ValueType::U16: *integer = r.scalar<uint16_t>("value"); return;
    case ValueType::I16: *integer = r.scalar<int16_t>("value"); return;
    case ValueType::U32: *integer = r.scalar<uint32_t>("value"); return;
    case ValueType::I32: *integer = r.scalar<int32_t>("value"); return;
    case ValueType::I64: *integer = r.scalar<int64_t>("value"); return;
    case ValueType::U64: {
      const auto v = r.scalar<uint64_t>("value");
      if (v > uint64_t(std::numeric_limits<int64_t>::max()))
        r.fail_field("value", "u64 " + std::to_string(v) + " is above the int64 range jstip reads");
      *integer = int64_t(v);
      return;
    }
    case ValueType::Bool: {
      const auto v = r.scalar<uint8_t>("value");
      if (v > 1) r.fail_field("value", "bool " + std::to_string(v) + " is not 0 or 1");
      *integer = v;
      return;
    }
    case ValueType::F32: *real = r.scalar<float>("value"); return;
    case ValueType::F64: *real = r.scalar<double>("value"); return;
    default: r.fail_field("value", std::string("type ") + value_type_name(t) + " is not a scalar");
  }
}

Value read_value(Reader& r, uint32_t type) {
  if (!valid_value_type(type)) r.fail_field("type", std::to_string(type) + " is not a GGUF value type (0..12)");
  Value v;
  v.type = ValueType(type);
  if (v.type == ValueType::String) {
    v.string = r.string("string");
    return v;
  }
  if (v.type != ValueType::Array) {
    read_scalar(r, v.type, &v.integer, &v.real);
    return v;
  }
  const auto element = r.scalar<uint32_t>("array element type");
  if (!valid_value_type(element))
    r.fail_field("array element type", std::to_string(element) + " is not a GGUF value type (0..12)");
  v.element_type = ValueType(element);
  if (v.element_type == ValueType::Array) r.fail_field("array element type", "nested arrays are not supported");
  const auto count = r.scalar<uint64_t>("array count");
  const bool strings = v.element_type == ValueType::String;
  const uint64_t item = strings ? 8 : scalar_size(v.element_type);
  r.check_count(count, item, 0, "array count", std::string(value_type_name(v.element_type)) + " values");
  if (strings) {
    v.strings.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      r.element(int64_t(i));
      v.strings.push_back(r.string("string"));
    }
  } else {
    auto& target_real = v.reals;
    auto& target_int = v.integers;
    if (is_real_type(v.element_type)) target_real.reserve(count);
    else target_int.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      r.element(int64_t(i));
      int64_t integer = 0;
      double real = 0;
      read_scalar(r, v.element_type, &integer, &real);
      if (is_real_type(v.element_type)) target_real.push_back(real);
      else target_int.push_back(integer);
    }
  }
  r.element(-1);
  return v;
}

inline float half_to_float(const uint8_t* p) {
  uint16_t bits;
  std::memcpy(&bits, p, 2);
  return c10::detail::fp16_ieee_to_fp32_value(bits);
}

// Shape in PyTorch order: ggml's ne reversed.
std::vector<int64_t> torch_shape(const TensorInfo& info) {
  std::vector<int64_t> shape;
  for (auto d = info.ne.rbegin(); d != info.ne.rend(); ++d) shape.push_back(int64_t(*d));
  return shape;
}

}  // namespace

const char* value_type_name(ValueType type) {
  static const char* names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
  const auto i = static_cast<uint32_t>(type);
  return i < 13 ? names[i] : "unknown";
}

uint64_t Value::array_size() const {
  if (type != ValueType::Array) return 0;
  if (element_type == ValueType::String) return strings.size();
  return is_real_type(element_type) ? reals.size() : integers.size();
}

Value Value::of_integer(ValueType type, int64_t v) {
  Value out;
  out.type = type;
  out.integer = v;
  return out;
}
Value Value::of_real(ValueType type, double v) {
  Value out;
  out.type = type;
  out.real = v;
  return out;
}
Value Value::of_bool(bool v) { return of_integer(ValueType::Bool, v ? 1 : 0); }
Value Value::of_string(std::string v) {
  Value out;
  out.type = ValueType::String;
  out.string = std::move(v);
  return out;
}
Value Value::of_integers(ValueType element, std::vector<int64_t> v) {
  Value out;
  out.type = ValueType::Array;
  out.element_type = element;
  out.integers = std::move(v);
  return out;
}
Value Value::of_reals(ValueType element, std::vector<double> v) {
  Value out;
  out.type = ValueType::Array;
  out.element_type = element;
  out.reals = std::move(v);
  return out;
}
Value Value::of_strings(std::vector<std::string> v) {
  Value out;
  out.type = ValueType::Array;
  out.element_type = ValueType::String;
  out.strings = std::move(v);
  return out;
}

std::string tensor_type_name(uint32_t type) {
  const TypeTraits* t = traits_of(type);
  return t ? t->name : "type " + std::to_string(type);
}

GgufFile::GgufFile(const std::string& path) : path_(path) {
  const Fd fd(path);
  if (fd.get() < 0) fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) fail(path, "is not a regular file");
  file_size_ = static_cast<uint64_t>(st.st_size);
  Reader r(path_, fd.get(), file_size_);

  r.context("header");
  char magic[4];
  r.bytes(magic, 4, "magic");
  if (std::memcmp(magic, "GGUF", 4) != 0)
    fail(path, "header magic is " + quote_name(std::string(magic, 4)) + ", expected 'GGUF' (not a GGUF file)");
  version_ = r.scalar<uint32_t>("version");
  if (version_ == 1) fail(path, "header version 1 (GGUF v1) is no longer supported: expected version 3 (or 2)");
  if (version_ == 0x02000000u || version_ == 0x03000000u)
    fail(path, "header version " + std::to_string(version_) + " is a byte-swapped 2 or 3: big-endian GGUF is not supported");
  if (version_ != 2 && version_ != 3)
    fail(path, "header version " + std::to_string(version_) + " is not supported: expected version 3 (or 2)");
  const auto tensor_count = r.scalar<uint64_t>("tensor count");
  const auto kv_count = r.scalar<uint64_t>("KV count");
  r.check_count(tensor_count, kMinTensorInfoBytes, 0, "tensor count", "tensor infos");
  r.check_count(kv_count, kMinKvBytes, tensor_count * kMinTensorInfoBytes, "KV count", "metadata KVs");

  for (uint64_t i = 0; i < kv_count; ++i) {
    r.context("metadata KV " + std::to_string(i));
    std::string key = r.string("key");
    if (key.empty()) r.fail_field("key", "is empty");
    r.context("key " + quote_name(key));
    if (metadata_.count(key)) r.fail_field("", "appears twice");
    const auto type = r.scalar<uint32_t>("type");
    metadata_.emplace(std::move(key), read_value(r, type));
  }
  if (const auto it = metadata_.find("general.alignment"); it != metadata_.end()) {
    const Value& v = it->second;
    if (v.type != ValueType::U32)
      fail(path, std::string("key 'general.alignment' is ") + value_type_name(v.type) + ", expected u32");
    if (v.integer == 0 || (v.integer & (v.integer - 1)) != 0)
      fail(path, "key 'general.alignment' is " + std::to_string(v.integer) + ", expected a nonzero power of two");
    alignment_ = uint64_t(v.integer);
  }

  infos_.reserve(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) {
    r.context("tensor info " + std::to_string(i));
    TensorInfo info;
    info.name = r.string("name");
    if (info.name.empty()) r.fail_field("name", "is empty");
    r.context("tensor " + quote_name(info.name));
    if (index_.count(info.name)) r.fail_field("", "appears twice");
    const auto n_dims = r.scalar<uint32_t>("n_dims");
    if (n_dims > kMaxDims) r.fail_field("n_dims", std::to_string(n_dims) + " is more than 4 (GGML_MAX_DIMS)");
    uint64_t values = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const auto ne = r.scalar<uint64_t>("dims");
      if (ne == 0) r.fail_field("dims", "dimension " + std::to_string(d) + " is 0");
      if (values > uint64_t(std::numeric_limits<int64_t>::max()) / ne)
        r.fail_field("dims", "dimension " + std::to_string(d) + " (" + std::to_string(ne) +
                                 ") makes more than 2^63 values");
      values *= ne;
      info.ne.push_back(ne);
    }
    info.type = r.scalar<uint32_t>("type");
    info.offset = r.scalar<uint64_t>("offset");
    if (const TypeTraits* t = traits_of(info.type)) {
      const uint64_t ne0 = info.ne.empty() ? 1 : info.ne[0];
      if (ne0 % t->block_values != 0)
        r.fail_field("dims", "ne0 " + std::to_string(ne0) + " is not a multiple of the " + t->name + " block size " +
                                 std::to_string(t->block_values));
      const uint64_t blocks = values / t->block_values;
      if (blocks > file_size_ / t->block_bytes)  // also keeps blocks * block_bytes from overflowing
        r.fail_field("dims", std::to_string(values) + " " + t->name + " values need more bytes than the file holds (" +
                                 std::to_string(file_size_) + ")");
      info.bytes = blocks * t->block_bytes;
    }  // a type ggml does not list: accepted here (bytes 0), refused by name when read
    index_.emplace(info.name, infos_.size());
    infos_.push_back(std::move(info));
  }

  data_start_ = (r.position() + alignment_ - 1) / alignment_ * alignment_;
  if (!infos_.empty() && data_start_ > file_size_)
    fail(path, "data section would start at offset " + std::to_string(data_start_) + " (alignment " +
                   std::to_string(alignment_) + "), past the end of the file (" + std::to_string(file_size_) + " bytes)");
  const uint64_t data_size = data_start_ <= file_size_ ? file_size_ - data_start_ : 0;
  for (const auto& info : infos_) {
    const std::string where = "tensor " + quote_name(info.name) + " offset";
    if (info.offset % alignment_ != 0)
      fail(path, where + " " + std::to_string(info.offset) + " is not a multiple of the alignment " +
                     std::to_string(alignment_));
    if (info.offset > data_size || info.bytes > data_size - info.offset)
      fail(path, where + ": bytes [" + std::to_string(info.offset) + ", " + std::to_string(info.offset) + " + " +
                     std::to_string(info.bytes) + ") are outside the data section (" + std::to_string(data_size) +
                     " bytes)");
  }
  // Tensors must not share bytes: a writer that overlaps them is broken or hostile.
  std::vector<const TensorInfo*> by_offset;
  for (const auto& info : infos_)
    if (info.bytes > 0) by_offset.push_back(&info);
  std::stable_sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i - 1]->offset + by_offset[i - 1]->bytes > by_offset[i]->offset)
      fail(path, "tensors " + quote_name(by_offset[i - 1]->name) + " and " + quote_name(by_offset[i]->name) + " overlap");
}

bool GgufFile::has(const std::string& key) const { return metadata_.count(key) > 0; }

const Value& GgufFile::value(const std::string& key) const {
  auto it = metadata_.find(key);
  if (it == metadata_.end()) fail(path_, "key " + quote_name(key) + " is missing");
  return it->second;
}

namespace {
[[noreturn]] void wrong_type(const std::string& path, const std::string& key, const Value& v, const char* expected) {
  std::string have = value_type_name(v.type);
  if (v.type == ValueType::Array) have += std::string(" of ") + value_type_name(v.element_type);
  fail(path, "key " + quote_name(key) + " is " + have + ", expected " + expected);
}
bool is_plain_integer(ValueType t) { return is_integer_type(t) && t != ValueType::Bool; }
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
  if (!is_plain_integer(v.type)) wrong_type(path_, key, v, "an integer");
  return v.integer;
}
int64_t GgufFile::get_int(const std::string& key, int64_t fallback) const { return has(key) ? get_int(key) : fallback; }
double GgufFile::get_float(const std::string& key) const {
  const Value& v = value(key);
  if (is_real_type(v.type)) return v.real;
  if (is_plain_integer(v.type)) return double(v.integer);
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
  if (v.type != ValueType::Array || !is_plain_integer(v.element_type)) wrong_type(path_, key, v, "array of integers");
  return v.integers;
}
const std::vector<double>& GgufFile::get_floats(const std::string& key) const {
  const Value& v = value(key);
  if (v.type != ValueType::Array || !is_real_type(v.element_type)) wrong_type(path_, key, v, "array of floats");
  return v.reals;
}

std::vector<weights::TensorEntry> GgufFile::entries() const {
  std::vector<weights::TensorEntry> out;
  out.reserve(infos_.size());
  for (const auto& info : infos_) out.push_back({info.name, torch_shape(info), tensor_type_name(info.type)});
  return out;
}

bool GgufFile::contains(const std::string& name) const { return index_.count(name) > 0; }

weights::TensorEntry GgufFile::entry(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail(path_, "has no tensor " + quote_name(name));
  const TensorInfo& info = infos_[it->second];
  return {info.name, torch_shape(info), tensor_type_name(info.type)};
}

// The block loops are kept plain (no FMA: sdk/CMakeLists.txt builds this file
// with -ffp-contract=off) so that they round exactly as gguf.quants does.
void dequantize_row(uint32_t type, const uint8_t* bytes, uint64_t byte_count, float* out, uint64_t count) {
  const TypeTraits* t = traits_of(type);
  if (!t || !supported(type))
    throw WeightsError("gguf: type " + tensor_type_name(type) + " is not supported: supported " + kSupported);
  if (count % t->block_values != 0 || byte_count / t->block_bytes != count / t->block_values ||
      byte_count % t->block_bytes != 0)
    throw WeightsError("gguf: " + std::to_string(byte_count) + " bytes do not hold " + std::to_string(count) + " " +
                       t->name + " values (" + std::to_string(t->block_values) + " values per " +
                       std::to_string(t->block_bytes) + "-byte block)");
  const uint64_t blocks = count / t->block_values;
  switch (type) {
    case 0:
      if (count > 0) std::memcpy(out, bytes, count * 4);
      return;
    case 1:
      for (uint64_t i = 0; i < count; ++i) out[i] = half_to_float(bytes + 2 * i);
      return;
    case 30:
      for (uint64_t i = 0; i < count; ++i) {
        const uint32_t bits = uint32_t(bytes[2 * i]) << 16 | uint32_t(bytes[2 * i + 1]) << 24;
        std::memcpy(out + i, &bits, 4);
      }
      return;
    case 8:  // Q8_0: f16 d, 32 int8; value = q * d
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* p = bytes + b * 34;
        const float d = half_to_float(p);
        float* o = out + b * 32;
        for (int j = 0; j < 32; ++j) o[j] = float(int8_t(p[2 + j])) * d;
      }
      return;
    case 2:  // Q4_0: f16 d, 16 bytes of nibbles; value j = (lo - 8) * d, value j + 16 = (hi - 8) * d
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* p = bytes + b * 18;
        const float d = half_to_float(p);
        float* o = out + b * 32;
        for (int j = 0; j < 16; ++j) {
          o[j] = float(int(p[2 + j] & 15) - 8) * d;
          o[j + 16] = float(int(p[2 + j] >> 4) - 8) * d;
        }
      }
      return;
    case 3:  // Q4_1: f16 d, f16 m, 16 bytes of nibbles; value j = lo * d + m, value j + 16 = hi * d + m
      for (uint64_t b = 0; b < blocks; ++b) {
        const uint8_t* p = bytes + b * 20;
        const float d = half_to_float(p), m = half_to_float(p + 2);
        float* o = out + b * 32;
        for (int j = 0; j < 16; ++j) {
          o[j] = float(p[4 + j] & 15) * d + m;
          o[j + 16] = float(p[4 + j] >> 4) * d + m;
        }
      }
      return;
    default: return;
  }
}

torch::Tensor GgufFile::read(const std::string& name, torch::Dtype dtype) const {
  auto it = index_.find(name);
  if (it == index_.end()) fail(path_, "has no tensor " + quote_name(name));
  const TensorInfo& info = infos_[it->second];
  const std::string where = "tensor " + quote_name(name);
  if (!supported(info.type))
    fail(path_, where + ": type " + tensor_type_name(info.type) + " is not supported: supported " + kSupported);
  if (dtype != torch::ScalarType::Undefined && !c10::isFloatingType(dtype))
    fail(path_, where + ": cannot be read as " + c10::toString(dtype) + " (a floating dtype is expected)");
  const std::vector<int64_t> shape = torch_shape(info);
  const Fd fd(path_);
  if (fd.get() < 0) fail(path_, where + ": cannot open the file: " + std::strerror(errno));
  const uint64_t at = data_start_ + info.offset;
  auto short_read = [&] {
    fail(path_, where + ": cannot read its " + std::to_string(info.bytes) + " bytes at offset " + std::to_string(at) +
                    " (file changed since it was opened?)");
  };

  // Float storage is read as it lies and converted by torch (exact for f16/bf16 -> f32).
  const torch::Dtype stored = info.type == 0 ? torch::kFloat32 : info.type == 1 ? torch::kFloat16
                            : info.type == 30 ? torch::kBFloat16 : torch::ScalarType::Undefined;
  if (stored != torch::ScalarType::Undefined) {
    torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(stored));
    if (!pread_all(fd.get(), t.data_ptr(), info.bytes, at)) short_read();
    return dtype == torch::ScalarType::Undefined || dtype == stored ? t : t.to(dtype);
  }

  std::vector<uint8_t> raw(info.bytes);
  if (!pread_all(fd.get(), raw.data(), info.bytes, at)) short_read();
  torch::Tensor out = torch::empty(shape, torch::kFloat32);
  const uint64_t row_values = info.ne[0];  // block types have n_dims >= 1 (ne0 is a multiple of 32)
  const uint64_t rows = uint64_t(out.numel()) / row_values;
  const uint64_t row_bytes = info.bytes / rows;
  float* dst = out.data_ptr<float>();
  const int64_t grain = int64_t(std::max<uint64_t>(1, (uint64_t{1} << 16) / row_values));
  at::parallel_for(0, int64_t(rows), grain, [&](int64_t begin, int64_t end) {
    dequantize_row(info.type, raw.data() + uint64_t(begin) * row_bytes, uint64_t(end - begin) * row_bytes,
                   dst + uint64_t(begin) * row_values, uint64_t(end - begin) * row_values);
  });
  return dtype == torch::ScalarType::Undefined || dtype == torch::kFloat32 ? out : out.to(dtype);
}

namespace {

void put(std::string& out, const void* p, size_t n) { out.append(static_cast<const char*>(p), n); }
template <typename T>
void put(std::string& out, T v) {
  put(out, &v, sizeof v);
}
void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}

// Writes one scalar, refusing a value its type cannot hold (the reader would read another).
void put_scalar(std::string& out, ValueType t, int64_t integer, double real, const std::function<void(const std::string&)>& bad) {
  auto in_range = [&](int64_t lo, int64_t hi) {
    if (integer < lo || integer > hi)
      bad(std::to_string(integer) + " does not fit a " + value_type_name(t));
  };
  switch (t) {
    case ValueType::U8: in_range(0, 255); put<uint8_t>(out, uint8_t(integer)); return;
    case ValueType::Bool: in_range(0, 1); put<uint8_t>(out, uint8_t(integer)); return;
    case ValueType::I8: in_range(-128, 127); put<int8_t>(out, int8_t(integer)); return;
    case ValueType::U16: in_range(0, 65535); put<uint16_t>(out, uint16_t(integer)); return;
    case ValueType::I16: in_range(-32768, 32767); put<int16_t>(out, int16_t(integer)); return;
    case ValueType::U32: in_range(0, 4294967295LL); put<uint32_t>(out, uint32_t(integer)); return;
    case ValueType::I32: in_range(INT32_MIN, INT32_MAX); put<int32_t>(out, int32_t(integer)); return;
    case ValueType::U64: in_range(0, INT64_MAX); put<uint64_t>(out, uint64_t(integer)); return;
    case ValueType::I64: put<int64_t>(out, integer); return;
    case ValueType::F32: put<float>(out, float(real)); return;
    case ValueType::F64: put<double>(out, real); return;
    default: bad(std::string("type ") + value_type_name(t) + " is not a scalar type");
  }
}

void put_value(std::string& out, const Value& v, const std::function<void(const std::string&)>& bad) {
  if (!valid_value_type(uint32_t(v.type))) bad("value type " + std::to_string(uint32_t(v.type)) + " is not a GGUF type");
  put<uint32_t>(out, uint32_t(v.type));
  if (v.type == ValueType::String) {
    put_string(out, v.string);
    return;
  }
  if (v.type != ValueType::Array) {
    put_scalar(out, v.type, v.integer, v.real, bad);
    return;
  }
  const ValueType e = v.element_type;
  if (!valid_value_type(uint32_t(e)) || e == ValueType::Array)
    bad("array element type " + std::to_string(uint32_t(e)) + " cannot be written (no nested arrays)");
  const bool s = e == ValueType::String, r = is_real_type(e);
  if ((s ? v.integers.size() + v.reals.size() : r ? v.integers.size() + v.strings.size()
                                                  : v.reals.size() + v.strings.size()) != 0)
    bad(std::string("array of ") + value_type_name(e) + " has values in another element vector");
  put<uint32_t>(out, uint32_t(e));
  put<uint64_t>(out, v.array_size());
  if (s)
    for (const auto& x : v.strings) put_string(out, x);
  else if (r)
    for (double x : v.reals) put_scalar(out, e, 0, x, bad);
  else
    for (int64_t x : v.integers) put_scalar(out, e, x, 0, bad);
}

uint64_t align_up(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

void write_file(const std::string& path, const std::vector<std::pair<std::string, Value>>& metadata,
                const std::vector<WriteTensor>& tensors, uint64_t alignment) {
  auto fail_write = [&](const std::string& what) -> void {
    throw WeightsError("writing gguf file '" + path + "': " + what);
  };
  if (alignment == 0 || (alignment & (alignment - 1)) != 0 || alignment > UINT32_MAX)
    fail_write("alignment " + std::to_string(alignment) + " is not a nonzero power of two (u32)");

  std::string header = "GGUF";
  put<uint32_t>(header, 3);
  put<uint64_t>(header, tensors.size());
  // A non-default alignment must be in the file, or readers use 32.
  bool has_alignment = false;
  for (const auto& kv : metadata) has_alignment |= kv.first == "general.alignment";
  const bool add_alignment = !has_alignment && alignment != 32;
  put<uint64_t>(header, metadata.size() + (add_alignment ? 1 : 0));
  std::set<std::string> keys;
  for (const auto& kv : metadata) {
    // Named references, not a structured binding: C++17 lambdas cannot capture those (clang refuses).
    const std::string& key = kv.first;
    const Value& v = kv.second;
    auto bad = [&](const std::string& what) { fail_write("key " + quote_name(key) + ": " + what); };
    if (key.empty()) bad("is empty");
    if (!keys.insert(key).second) bad("appears twice");
    if (key == "general.alignment" && (v.type != ValueType::U32 || uint64_t(v.integer) != alignment))
      bad("must be u32 " + std::to_string(alignment) + ", the alignment the file is written with");
    put_string(header, key);
    put_value(header, v, bad);
  }
  if (add_alignment) {
    put_string(header, "general.alignment");
    put_value(header, Value::of_integer(ValueType::U32, int64_t(alignment)), [](const std::string&) {});
  }

  std::vector<torch::Tensor> data;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    auto bad = [&](const std::string& what) { fail_write("tensor " + quote_name(t.name) + ": " + what); };
    if (t.name.empty()) bad("name is empty");
    if (!names.insert(t.name).second) bad("appears twice");
    if (!t.tensor.defined()) bad("is undefined");
    torch::Tensor c = t.tensor.detach().to(torch::kCPU).contiguous();
    const uint32_t type = c.scalar_type() == torch::kFloat32 ? 0 : c.scalar_type() == torch::kFloat16 ? 1
                        : c.scalar_type() == torch::kBFloat16 ? 30 : UINT32_MAX;
    if (type == UINT32_MAX) bad(std::string("dtype ") + c10::toString(c.scalar_type()) + " is not float32, float16 or bfloat16");
    if (c.dim() > int64_t(kMaxDims)) bad(std::to_string(c.dim()) + " dimensions, GGUF holds at most 4");
    for (int64_t d : c.sizes())
      if (d == 0) bad("has a dimension of size 0 (GGUF readers refuse it)");
    put_string(header, t.name);
    put<uint32_t>(header, uint32_t(c.dim()));
    for (int64_t d = c.dim() - 1; d >= 0; --d) put<uint64_t>(header, uint64_t(c.size(d)));  // ne0 fastest
    put<uint32_t>(header, type);
    put<uint64_t>(header, offset);
    offset += align_up(uint64_t(c.nbytes()), alignment);
    data.push_back(std::move(c));
  }
  header.resize(align_up(header.size(), alignment), '\0');

  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) fail_write("cannot create '" + temp + "'");
    out.write(header.data(), std::streamsize(header.size()));
    const std::string padding(alignment, '\0');
    for (const auto& c : data) {
      const uint64_t n = uint64_t(c.nbytes());
      out.write(static_cast<const char*>(c.data_ptr()), std::streamsize(n));
      out.write(padding.data(), std::streamsize(align_up(n, alignment) - n));
    }
    out.close();  // flushes: a full disk shows up here, not at destruction
    if (!out) {
      std::remove(temp.c_str());
      fail_write("failed writing '" + temp + "' (disk full?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    fail_write("cannot rename '" + temp + "' into place: " + reason);
  }
}

}  // namespace jstip::gguf
