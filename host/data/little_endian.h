// Little-endian integers in byte buffers, whatever the host's byte order: the
// fixed-size headers of jstip's own binary files (shards, encoder-cache files).
#pragma once

#include <cstdint>

namespace jstip::data {

inline void put_u32(char* p, uint32_t v) { for (int i = 0; i < 4; ++i) p[i] = char((v >> (8 * i)) & 0xFF); }
inline void put_u64(char* p, uint64_t v) { for (int i = 0; i < 8; ++i) p[i] = char((v >> (8 * i)) & 0xFF); }
inline uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(p[i])) << (8 * i);
  return v;
}
inline uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(p[i])) << (8 * i);
  return v;
}

}  // namespace jstip::data
