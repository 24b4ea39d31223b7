#include "host/data/byte_level.h"

#include <vector>

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

// Decodes one UTF-8 character at text[pos]; returns its length, 0 when invalid.
size_t decode_one(std::string_view text, size_t pos, uint32_t* out) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t c = byte(pos);
  size_t length;
  uint32_t cp, min;
  if (c < 0x80) {
    *out = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    length = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - pos < length) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(pos + i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(pos + i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *out = cp;
  return length;
}

}  // namespace

const std::array<std::string, 256>& byte_symbols() {
  static const std::array<std::string, 256> symbols = [] {
    std::array<std::string, 256> s;
    for (int b = 0; b < 256; ++b) append_utf8(code_points()[b], &s[b]);
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
    const size_t length = decode_one(symbols, pos, &cp);
    if (length == 0 || cp >= reverse.size() || reverse[cp] < 0) return false;
    bytes->push_back(static_cast<char>(reverse[cp]));
    pos += length;
  }
  return true;
}

size_t invalid_utf8_offset(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {  // ASCII fast path
      ++pos;
      continue;
    }
    uint32_t cp = 0;
    const size_t length = decode_one(text, pos, &cp);
    if (length == 0) return pos;
    pos += length;
  }
  return std::string_view::npos;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace jstip::data::byte_level
