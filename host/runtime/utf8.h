// UTF-8 checks and encoding, shared by the config loader (YAML is Unicode
// text: a key or value that is not UTF-8 cannot be dumped as itself) and the
// byte-level tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jstip::utf8 {

// Decodes one UTF-8 character at text[pos] into *out; returns its length, 0
// when the bytes there are not a valid character.
size_t decode_one(std::string_view text, size_t pos, uint32_t* out);

// Byte offset of the first invalid UTF-8 sequence (overlong forms, surrogates
// and code points above U+10FFFF are invalid, as in Unicode and PCRE2), or
// std::string_view::npos when `text` is valid.
size_t invalid_offset(std::string_view text);

// Appends the UTF-8 encoding of a valid code point.
void append(uint32_t code_point, std::string* out);

}  // namespace jstip::utf8
