#include "host/data/byte_level.h"

#include <vector>

#include "host/runtime/utf8.h"

namespace jstip::data::byte_level {
namespace {

// GPT-2's bytes_to_unicode(): bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF keep
// their code point; the other 68 take 256, 257, ... in byte order.
std::array<uint32_t, 256> make_code_points() {
  std::array<uint32_t, 256> cp{};
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool kept = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    cp[b] = kept ? b : next++;
  }
  return cp;
}

const std::array<uint32_t, 256>& code_points() {
  static const std::array<uint32_t, 256> cp = make_code_points();
  return cp;
}

// Code point -> byte, -1 for characters outside the alphabet (all are below 324).
const std::vector<int>& reverse_map() {
  static const std::vector<int> reverse = [] {
    std::vector<int> r(324, -1);
    for (int b = 0; b < 256; ++b) r[code_points()[b]] = b;
    return r;
  }();
  return reverse;
}

}  // namespace

const std::array<std::string, 256>& byte_symbols() {
  static const std::array<std::string, 256> symbols = [] {
    std::array<std::string, 256> s;
    for (int b = 0; b < 256; ++b) utf8::append(code_points()[b], &s[b]);
    return s;
  }();
  return symbols;
}

std::string to_symbols(std::string_view bytes) {
  const auto& symbols = byte_symbols();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += symbols[static_cast<uint8_t>(c)];
  return out;
}

bool to_bytes(std::string_view symbols, std::string* bytes) {
  const auto& reverse = reverse_map();
  for (size_t pos = 0; pos < symbols.size();) {
    uint32_t cp = 0;
    const size_t length = utf8::decode_one(symbols, pos, &cp);
    if (length == 0 || cp >= reverse.size() || reverse[cp] < 0) return false;
    bytes->push_back(static_cast<char>(reverse[cp]));
    pos += length;
  }
  return true;
}

}  // namespace jstip::data::byte_level
