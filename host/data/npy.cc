#include "host/data/npy.h"

#include <torch/torch.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <vector>

// The data is copied as it lies: '<f4' is the host's float only on little-endian machines.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the npy reader and writer assume a little-endian host");

namespace jstip::data {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicBytes = 6;
constexpr int64_t kMaxRank = 8;
constexpr uint32_t kMaxHeaderBytes = 1 << 16;  // shapes are short; a longer header is not ours to read

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw NpyError("npy file '" + path + "': " + what);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += std::to_string(shape[i]) + (shape.size() == 1 || i + 1 < shape.size() ? "," : "");
  return text + ")";
}

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
struct Header {
  std::string descr;
  bool fortran_order = false, has_descr = false, has_order = false, has_shape = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  Header parse() {
    Header h;
    skip_spaces();
    expect('{');
    for (;;) {
      skip_spaces();
      if (peek() == '}') break;
      const std::string key = quoted();
      skip_spaces();
      expect(':');
      skip_spaces();
      if (key == "descr") {
        h.descr = quoted();
        h.has_descr = true;
      } else if (key == "fortran_order") {
        const std::string word = identifier();
        if (word != "True" && word != "False") bad("fortran_order must be True or False, got '" + word + "'");
        h.fortran_order = word == "True";
        h.has_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        h.has_shape = true;
      } else {
        bad("unexpected header key '" + key + "'");
      }
      skip_spaces();
      if (peek() == ',') ++pos_;
    }
    if (!h.has_descr || !h.has_order || !h.has_shape) bad("the header lacks descr, fortran_order or shape");
    return h;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const { fail(path_, "bad header (" + what + ")"); }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_spaces() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) bad(std::string("expected '") + c + "' at byte " + std::to_string(pos_));
    ++pos_;
  }
  std::string quoted() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') bad("expected a quoted string at byte " + std::to_string(pos_));
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) bad("unterminated string");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  std::string identifier() {
    const size_t begin = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return s_.substr(begin, pos_ - begin);
  }
  std::vector<int64_t> tuple() {
    expect('(');
    std::vector<int64_t> dims;
    for (;;) {
      skip_spaces();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("shape entries must be non-negative integers");
      int64_t value = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const int digit = peek() - '0';
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10) bad("a shape entry overflows int64");
        value = value * 10 + digit;
        ++pos_;
      }
      dims.push_back(value);
      if (int64_t(dims.size()) > kMaxRank) bad("more than " + std::to_string(kMaxRank) + " dimensions");
      skip_spaces();
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return dims;
  }

  const std::string& s_;
  const std::string& path_;
  size_t pos_ = 0;
};

}  // namespace

void write_npy_float32(const std::string& path, const torch::Tensor& tensor) {
  if (!tensor.defined() || tensor.dim() < 1 || tensor.dim() > kMaxRank || !tensor.is_floating_point())
    throw NpyError("npy file '" + path + "': can only write a floating tensor of rank 1.." + std::to_string(kMaxRank));
  const auto data = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                       shape_text(std::vector<int64_t>(data.sizes().begin(), data.sizes().end())) + ", }";
  // Version 1.0: magic, 2 version bytes, u16 header length; the data starts at a multiple of 64 (what numpy writes).
  const size_t prefix = kMagicBytes + 2 + 2;
  const size_t total = (prefix + header.size() + 1 + 63) / 64 * 64;
  header.append(total - prefix - header.size() - 1, ' ');
  header.push_back('\n');
  const uint16_t header_len = static_cast<uint16_t>(header.size());

  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw NpyError("npy file '" + path + "': cannot create " + temp);
    out.write(kMagic, kMagicBytes);
    const char version[2] = {1, 0};
    out.write(version, 2);
    out.write(reinterpret_cast<const char*>(&header_len), 2);
    out.write(header.data(), std::streamsize(header.size()));
    out.write(reinterpret_cast<const char*>(data.data_ptr<float>()), std::streamsize(data.numel() * 4));
    out.close();
    if (!out) {
      std::remove(temp.c_str());
      throw NpyError("npy file '" + path + "': write failed (disk full?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw NpyError("npy file '" + path + "': cannot rename " + temp + " to it: " + std::strerror(errno));
  }
}

torch::Tensor read_npy_float32(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(path, "cannot open");
  const auto file_bytes = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  char magic[kMagicBytes + 2];
  if (file_bytes < sizeof magic || !in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, kMagicBytes) != 0)
    fail(path, "not a .npy file (no \\x93NUMPY magic)");
  const int major = static_cast<unsigned char>(magic[kMagicBytes]);
  if (major < 1 || major > 3) fail(path, "format version " + std::to_string(major) + " (this reader takes 1 to 3)");
  uint32_t header_len = 0;
  const uint64_t length_bytes = major == 1 ? 2 : 4;
  unsigned char length[4] = {0, 0, 0, 0};
  if (!in.read(reinterpret_cast<char*>(length), std::streamsize(length_bytes))) fail(path, "truncated header length");
  header_len = uint32_t(length[0]) | uint32_t(length[1]) << 8 | uint32_t(length[2]) << 16 | uint32_t(length[3]) << 24;
  const uint64_t data_offset = sizeof magic + length_bytes + header_len;
  if (header_len > kMaxHeaderBytes || data_offset > file_bytes)
    fail(path, "header of " + std::to_string(header_len) + " bytes does not fit the file of " +
                   std::to_string(file_bytes) + " bytes");
  std::string text(header_len, '\0');
  if (!in.read(text.data(), std::streamsize(header_len))) fail(path, "truncated header");
  const Header header = HeaderParser(text, path).parse();
  if (header.descr != "<f4") fail(path, "dtype '" + header.descr + "', expected '<f4' (little-endian float32)");
  if (header.fortran_order) fail(path, "Fortran order; expected C order");
  uint64_t count = 1;
  for (int64_t d : header.shape) {
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / 4 / uint64_t(d)) fail(path, "shape overflows");
    count *= uint64_t(d);
  }
  if (file_bytes - data_offset != count * 4)
    fail(path, "shape " + shape_text(header.shape) + " needs " + std::to_string(count * 4) + " data bytes, the file has " +
                   std::to_string(file_bytes - data_offset));
  auto out = torch::empty(header.shape, torch::kFloat32);
  if (count > 0 && !in.read(reinterpret_cast<char*>(out.data_ptr<float>()), std::streamsize(count * 4)))
    fail(path, "truncated data");
  return out;
}

}  // namespace jstip::data
