#include "jstip/weights/ctranslate2.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <torch/torch.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

// model.bin is little-endian and the reader copies scalars as they lie.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the CTranslate2 reader assumes a little-endian host");

#include "file_read.h"

namespace jstip::ctranslate2 {
namespace {

using weights::WeightsError;

constexpr uint32_t kMaxVersion = 6;  // CTranslate2's current_binary_version
constexpr uint32_t kMaxRank = 8;
// The smallest variable header: name (u16 length 1 + its NUL), rank 0, dtype, byte count.
constexpr uint64_t kMinVariableBytes = 2 + 1 + 1 + 1 + 4;
// The smallest alias: two strings of one byte (u16 length + a NUL each).
constexpr uint64_t kMinAliasBytes = 2 * (2 + 1);
// CTranslate2's ops::Quantize::global_int16_scale, for int16 weights saved without a scale.
constexpr float kLegacyInt16Scale = 1000;

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw WeightsError("ctranslate2 file '" + file + "': " + what);
}

// Names come from the file: control bytes are escaped and long ones cut so
// that an error message stays one readable line.
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

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

bool known_type(uint32_t type) { return type <= 5; }
bool is_float(DataType t) { return t == DataType::F32 || t == DataType::F16 || t == DataType::BF16; }
torch::Dtype torch_dtype(DataType t) {
  switch (t) {
    case DataType::F32: return torch::kFloat32;
    case DataType::I8: return torch::kInt8;
    case DataType::I16: return torch::kInt16;
    case DataType::I32: return torch::kInt32;
    case DataType::F16: return torch::kFloat16;
    case DataType::BF16: return torch::kBFloat16;
  }
  return torch::kFloat32;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

using jstip::detail::Fd;
using jstip::detail::pread_all;

// A cursor over the file's headers. Every read is checked against the file
// size first, so a lying count or length is an error naming the field, never a
// huge allocation or a read past the end; variable data is skipped, not read.
// Errors read "<context> <field>: ...", the context being what is parsed
// ("header", "variable 'encoder/conv1/weight'", "alias 0").
class Reader {
 public:
  Reader(const std::string& file, int fd, uint64_t size) : file_(file), fd_(fd), size_(size), buffer_(1 << 16) {}
  uint64_t position() const { return position_; }
  uint64_t remaining() const { return size_ - position_; }
  void context(std::string c) { context_ = std::move(c); }

  std::string where(const std::string& field) const { return context_ + (field.empty() ? "" : " " + field); }
  [[noreturn]] void fail_field(const std::string& field, const std::string& what) const {
    fail(file_, where(field) + ": " + what);
  }

  void bytes(void* out, uint64_t n, const std::string& field) {
    need(n, field);
    auto* dst = static_cast<uint8_t*>(out);
    while (n > 0) {
      if (position_ < buffer_start_ || position_ >= buffer_start_ + buffer_len_) refill(field);
      const uint64_t at = position_ - buffer_start_;
      const uint64_t take = std::min<uint64_t>(n, buffer_len_ - at);
      std::memcpy(dst, buffer_.data() + at, take);
      dst += take;
      n -= take;
      position_ += take;
    }
  }
  void skip(uint64_t n, const std::string& field) {
    need(n, field);
    position_ += n;
  }
  template <typename T>
  T scalar(const std::string& field) {
    T v;
    bytes(&v, sizeof v, field);
    return v;
  }
  // u16 length counting a trailing NUL, then the bytes; the NUL is dropped.
  std::string string(const std::string& field) {
    const auto n = scalar<uint16_t>(field + " length");
    if (n == 0) fail_field(field, "length 0: a string's length counts its trailing NUL, so it is at least 1");
    if (n > remaining())
      fail_field(field, "string length " + std::to_string(n) + " at offset " + std::to_string(position_ - 2) +
                            " runs past the end of the file (" + std::to_string(remaining()) + " bytes left)");
    std::string s(n, '\0');
    bytes(s.data(), n, field);
    if (s.back() != '\0') fail_field(field, quote_name(s) + " does not end in a NUL byte");
    s.pop_back();
    return s;
  }
  // `count` items of at least `min_item_bytes` each must fit in what is left.
  void check_count(uint64_t count, uint64_t min_item_bytes, const std::string& field, const std::string& items) {
    if (count > remaining() / min_item_bytes)
      fail_field(field, std::to_string(count) + " exceeds what the file can hold (" + std::to_string(remaining()) +
                            " bytes left hold at most " + std::to_string(remaining() / min_item_bytes) + " " + items +
                            ")");
  }

 private:
  void need(uint64_t n, const std::string& field) const {
    if (n > remaining())
      fail_field(field, "needs " + std::to_string(n) + " bytes at offset " + std::to_string(position_) +
                            " but the file ends at " + std::to_string(size_));
  }
  void refill(const std::string& field) {
    buffer_start_ = position_;
    buffer_len_ = std::min<uint64_t>(buffer_.size(), size_ - position_);
    if (!pread_all(fd_, buffer_.data(), buffer_len_, buffer_start_))
      fail_field(field, "read error at offset " + std::to_string(buffer_start_) + " (file changed while reading?)");
  }

  const std::string& file_;
  int fd_;
  uint64_t size_;
  std::vector<uint8_t> buffer_;
  uint64_t buffer_start_ = 0, buffer_len_ = 0, position_ = 0;
  std::string context_;
};

// Versions 1 to 3 store an item size and a value count, and CTranslate2
// reads the type off the size (so an old file cannot hold F16).
DataType type_of_item_size(Reader& r, uint8_t size, uint32_t version) {
  switch (size) {
    case 4: return DataType::F32;
    case 2: return DataType::I16;
    case 1: return DataType::I8;
    default:
      r.fail_field("item size", std::to_string(size) + " is not 1, 2 or 4 (binary version " + std::to_string(version) +
                                    " stores an item size: 4 F32, 2 I16, 1 I8)");
  }
}

Variable read_variable(Reader& r, uint32_t version, uint32_t index) {
  Variable v;
  r.context("variable " + std::to_string(index));
  v.name = r.string("name");
  if (v.name.empty()) r.fail_field("name", "is empty");
  r.context("variable " + quote_name(v.name));
  const uint8_t rank = r.scalar<uint8_t>("rank");
  if (rank > kMaxRank) r.fail_field("rank", std::to_string(rank) + " is more than " + std::to_string(kMaxRank));
  // The product is kept exact while it stays below 2^63; past that the file cannot hold it.
  uint64_t values = 1;
  bool overflow = false;
  for (uint8_t d = 0; d < rank; ++d) {
    const auto dim = r.scalar<uint32_t>("dims");
    v.shape.push_back(int64_t(dim));
    if (dim != 0 && values > (uint64_t{1} << 62) / dim) overflow = true;
    else values *= dim;
  }
  uint64_t count_or_bytes = 0;
  if (version >= 4) {
    const auto type = r.scalar<uint8_t>("dtype");
    if (!known_type(type))
      r.fail_field("dtype", std::to_string(type) + " is not a CTranslate2 type (0 F32, 1 I8, 2 I16, 3 I32, 4 F16, 5 BF16)");
    v.dtype = DataType(type);
    count_or_bytes = r.scalar<uint32_t>("byte count");
  } else {
    v.dtype = type_of_item_size(r, r.scalar<uint8_t>("item size"), version);
    count_or_bytes = r.scalar<uint32_t>("value count");
  }
  const uint64_t item = item_size(v.dtype);
  const std::string type = data_type_name(uint32_t(v.dtype));
  // Dimensions first: a lying shape is named as such, whatever the count says.
  if (overflow)
    r.fail_field("dims", shape_string(v.shape) + " of " + type + " need more than 2^62 values, more than any file holds");
  if (values > r.remaining() / item)
    r.fail_field("dims", shape_string(v.shape) + " of " + type + " need " + std::to_string(values * item) + " bytes (" +
                             std::to_string(values) + " values of " + std::to_string(item) + ") but only " +
                             std::to_string(r.remaining()) + " bytes are left in the file");
  const std::string dims = "dims " + shape_string(v.shape);
  v.bytes = values * item;
  if (version >= 4 && count_or_bytes != v.bytes)
    r.fail_field("byte count", std::to_string(count_or_bytes) + " does not match " + dims + " of " + type +
                                   ": expected " + std::to_string(v.bytes));
  if (version < 4 && count_or_bytes != values)
    r.fail_field("value count", std::to_string(count_or_bytes) + " does not match " + dims + ": expected " +
                                    std::to_string(values));
  v.offset = r.position();
  r.skip(v.bytes, "data");
  return v;
}

}  // namespace

std::string data_type_name(uint32_t type) {
  static const char* names[] = {"F32", "I8", "I16", "I32", "F16", "BF16"};
  return known_type(type) ? names[type] : "type " + std::to_string(type);
}

uint64_t item_size(DataType type) {
  switch (type) {
    case DataType::I8: return 1;
    case DataType::I16: case DataType::F16: case DataType::BF16: return 2;
    case DataType::F32: case DataType::I32: return 4;
  }
  return 4;
}

ModelBin::ModelBin(const std::string& path) : path_(path), file_(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) file_ = (std::filesystem::path(path) / "model.bin").string();
  const Fd fd(file_);
  if (fd.get() < 0) fail(file_, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) fail(file_, "is not a regular file");
  file_size_ = static_cast<uint64_t>(st.st_size);
  Reader r(file_, fd.get(), file_size_);

  r.context("header");
  version_ = r.scalar<uint32_t>("binary version");
  if (version_ == 0 || version_ > kMaxVersion)
    r.fail_field("binary version", std::to_string(version_) + " is not supported: expected 1 to " +
                                       std::to_string(kMaxVersion) +
                                       (version_ > kMaxVersion ? " (written by a newer CTranslate2?)" : ""));
  if (version_ >= 2) {
    spec_name_ = r.string("spec name");
    revision_ = r.scalar<uint32_t>("spec revision");
  }
  const auto count = r.scalar<uint32_t>("variable count");
  r.check_count(count, kMinVariableBytes, "variable count", "variables");
  variables_.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    variables_.push_back(read_variable(r, version_, i));
    if (!index_.emplace(variables_.back().name, i).second) r.fail_field("", "appears twice");
  }

  if (version_ >= 3) {
    r.context("header");
    const auto alias_count = r.scalar<uint32_t>("alias count");
    r.check_count(alias_count, kMinAliasBytes, "alias count", "aliases");
    aliases_.reserve(alias_count);
    for (uint32_t i = 0; i < alias_count; ++i) {
      Alias a;
      r.context("alias " + std::to_string(i));
      a.name = r.string("name");
      if (a.name.empty()) r.fail_field("name", "is empty");
      r.context("alias " + quote_name(a.name));
      a.target = r.string("target");
      // An alias may name an earlier alias, as CTranslate2 registers them in order.
      const auto target = index_.find(a.target);
      if (target == index_.end())
        r.fail_field("target", quote_name(a.target) + " is not a variable or an earlier alias in the file");
      a.variable = variables_[target->second].name;
      if (!index_.emplace(a.name, target->second).second)
        r.fail_field("", "is already the name of a variable or an alias");
      aliases_.push_back(std::move(a));
    }
  }
  r.context("header");
  if (r.remaining() != 0)
    r.fail_field("", std::to_string(r.remaining()) + " bytes follow the " +
                         std::string(version_ >= 3 ? "aliases" : "variables") + " at offset " +
                         std::to_string(r.position()) + ": expected the end of the file");
}

const Variable& ModelBin::variable(const std::string& name) const {
  const auto it = index_.find(name);
  if (it == index_.end()) fail(file_, "has no variable " + quote_name(name));
  return variables_[it->second];
}

std::vector<weights::TensorEntry> ModelBin::entries() const {
  std::vector<weights::TensorEntry> out;
  out.reserve(variables_.size() + aliases_.size());
  for (const auto& v : variables_) out.push_back({v.name, v.shape, data_type_name(uint32_t(v.dtype))});
  for (const auto& a : aliases_) {
    const Variable& v = variable(a.variable);
    out.push_back({a.name, v.shape, data_type_name(uint32_t(v.dtype))});
  }
  return out;
}

bool ModelBin::contains(const std::string& name) const { return index_.count(name) > 0; }

weights::TensorEntry ModelBin::entry(const std::string& name) const {
  const Variable& v = variable(name);
  return {name, v.shape, data_type_name(uint32_t(v.dtype))};
}

const Variable* ModelBin::scale_of(const Variable& v) const {
  if (v.dtype != DataType::I8 && v.dtype != DataType::I16) return nullptr;
  const auto it = index_.find(v.name + "_scale");
  return it == index_.end() ? nullptr : &variables_[it->second];
}

bool ModelBin::is_quantized(const std::string& name) const {
  const Variable& v = variable(name);
  if (scale_of(v)) return true;
  return v.dtype == DataType::I16 && !v.shape.empty() && ends_with(v.name, "weight");
}

torch::Tensor ModelBin::read_stored(const Variable& v) const {
  torch::Tensor t = torch::empty(v.shape, torch::TensorOptions().dtype(torch_dtype(v.dtype)));
  const Fd fd(file_);
  if (fd.get() < 0) fail(file_, "variable " + quote_name(v.name) + ": cannot open the file: " + std::strerror(errno));
  if (!pread_all(fd.get(), t.data_ptr(), v.bytes, v.offset))
    fail(file_, "variable " + quote_name(v.name) + ": cannot read its " + std::to_string(v.bytes) +
                    " bytes at offset " + std::to_string(v.offset) + " (file changed since it was opened?)");
  return t;
}

// As CTranslate2's ops::Dequantize (src/ops/dequantize_cpu.cc): value * (1 / scale),
// I8 with one scale per index of the first dimension, I16 with one scale.
torch::Tensor ModelBin::dequantize(const Variable& v, const torch::Tensor& values) const {
  const std::string where = "variable " + quote_name(v.name);
  const Variable* scale_var = scale_of(v);
  const int64_t rows = v.shape.empty() ? 1 : v.shape[0];
  std::vector<float> scales;
  if (scale_var) {
    if (!is_float(scale_var->dtype))
      fail(file_, where + ": its scale " + quote_name(scale_var->name) + " is " +
                      data_type_name(uint32_t(scale_var->dtype)) + ", expected a float type");
    const torch::Tensor s = read_stored(*scale_var).to(torch::kFloat32).contiguous();
    const int64_t expected = v.dtype == DataType::I8 ? rows : 1;
    if (s.numel() != expected)
      fail(file_, where + ": its scale " + quote_name(scale_var->name) + " holds " + std::to_string(s.numel()) +
                      " values, expected " + std::to_string(expected) +
                      (v.dtype == DataType::I8 ? " (one per row of " + shape_string(v.shape) + ")" : " (I16: one)"));
    scales.assign(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
  } else {
    scales.assign(1, kLegacyInt16Scale);
  }
  torch::Tensor out = torch::empty(v.shape, torch::kFloat32);
  float* dst = out.data_ptr<float>();
  const int64_t n = out.numel();
  const int64_t row_values = scales.size() == 1 ? n : (rows == 0 ? 0 : n / rows);
  for (size_t r = 0; r < scales.size(); ++r) {
    const float reciprocal = 1.f / scales[r];
    const int64_t begin = int64_t(r) * row_values;
    if (v.dtype == DataType::I8) {
      const int8_t* src = values.data_ptr<int8_t>();
      for (int64_t i = begin; i < begin + row_values; ++i) dst[i] = float(src[i]) * reciprocal;
    } else {
      const int16_t* src = values.data_ptr<int16_t>();
      for (int64_t i = begin; i < begin + row_values; ++i) dst[i] = float(src[i]) * reciprocal;
    }
  }
  return out;
}

torch::Tensor ModelBin::read(const std::string& name, torch::Dtype dtype) const {
  const Variable& v = variable(name);
  const std::string where = "variable " + quote_name(name);
  const torch::Dtype stored = torch_dtype(v.dtype);
  const bool undefined = dtype == torch::ScalarType::Undefined;
  if (is_float(v.dtype)) {
    if (!undefined && !c10::isFloatingType(dtype))
      fail(file_, where + ": is " + data_type_name(uint32_t(v.dtype)) + ", cannot be read as " + c10::toString(dtype) +
                      " (a floating dtype is expected)");
    torch::Tensor t = read_stored(v);
    return undefined || dtype == stored ? t : t.to(dtype);
  }
  if (is_quantized(name)) {
    torch::Tensor raw = read_stored(v);
    if (dtype == stored) return raw;
    if (!undefined && !c10::isFloatingType(dtype))
      fail(file_, where + ": a quantized " + data_type_name(uint32_t(v.dtype)) + " weight cannot be read as " +
                      c10::toString(dtype) + " (expected a floating dtype, or " + c10::toString(stored) +
                      " for the raw values)");
    torch::Tensor t = dequantize(v, raw);
    return undefined || dtype == torch::kFloat32 ? t : t.to(dtype);
  }
  torch::Tensor t = read_stored(v);
  return undefined || dtype == stored ? t : t.to(dtype);
}

int64_t ModelBin::read_int(const std::string& name) const {
  const Variable& v = variable(name);
  const std::string where = "variable " + quote_name(name);
  if (is_float(v.dtype))
    fail(file_, where + ": is " + data_type_name(uint32_t(v.dtype)) + ", expected an integer scalar (I8, I16 or I32)");
  if (v.bytes != item_size(v.dtype))
    fail(file_, where + ": has shape " + shape_string(v.shape) + ", expected one value (an integer scalar)");
  if (is_quantized(name)) fail(file_, where + ": is a quantized weight, expected an integer scalar");
  const torch::Tensor t = read_stored(v);
  return t.to(torch::kInt64).reshape({-1})[0].item<int64_t>();
}

}  // namespace jstip::ctranslate2
