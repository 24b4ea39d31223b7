// A model family's weight names in each checkpoint format, side by side (as
// llama.cpp's llama-arch.cpp keeps them): one row per tensor, "{L}" standing
// for the layer number. A new format is a column; a new family is a table.
#pragma once

#include <cstddef>
#include <string>

namespace jstip::weights {

struct NameRow {
  const char* hf;    // Hugging Face (the model's own parameter names)
  const char* gguf;  // llama.cpp GGUF
};

// Matches `name` against `pattern` ("blk.{L}.attn_q.weight"); on success
// writes the layer number (or "" when the pattern has none) to `layer`.
inline bool match_name(const std::string& pattern, const std::string& name, std::string* layer) {
  const size_t at = pattern.find("{L}");
  if (at == std::string::npos) {
    layer->clear();
    return pattern == name;
  }
  const std::string head = pattern.substr(0, at), tail = pattern.substr(at + 3);
  if (name.size() <= head.size() + tail.size() || name.compare(0, head.size(), head) != 0 ||
      name.compare(name.size() - tail.size(), tail.size(), tail) != 0)
    return false;
  *layer = name.substr(head.size(), name.size() - head.size() - tail.size());
  for (char c : *layer)
    if (c < '0' || c > '9') return false;
  return true;
}

// The Hugging Face name of a GGUF tensor, or "" when no row matches.
template <size_t N>
std::string hf_name_of_gguf(const NameRow (&table)[N], const std::string& gguf_name) {
  std::string layer;
  for (const auto& row : table)
    if (match_name(row.gguf, gguf_name, &layer)) {
      std::string hf = row.hf;
      const size_t at = hf.find("{L}");
      return at == std::string::npos ? hf : hf.replace(at, 3, layer);
    }
  return "";
}

}  // namespace jstip::weights
