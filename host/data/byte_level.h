// GPT-2's byte-level alphabet: a reversible map from the 256 byte values to
// 256 printable Unicode characters (printable ASCII and most of Latin-1 map to
// themselves; the rest, space and control bytes among them, to U+0100..U+0143,
// so " " is "Ġ" and "\n" is "Ċ"). Byte-level BPE vocabularies (GPT-2, SmolLM2,
// Llama 3) spell their pieces in it, so any byte string has a spelling and
// decoding restores the exact bytes.
//
// UTF-8 checks are in host/runtime/utf8.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jstip::data::byte_level {

// UTF-8 spelling of byte b's character.
const std::array<std::string, 256>& byte_symbols();

// The alphabet spelling of `bytes` (each byte becomes one character).
std::string to_symbols(std::string_view bytes);

// The bytes a spelling stands for. Returns false, leaving `bytes` partly
// filled, when `symbols` is not valid UTF-8 or holds a character outside the
// alphabet.
bool to_bytes(std::string_view symbols, std::string* bytes);

}  // namespace jstip::data::byte_level
