// CRC32C (Castagnoli), the checksum of shard records (as in TFRecord and
// LevelDB): detects every single-bit and burst error up to 32 bits.
#pragma once

#include <cstddef>
#include <cstdint>

namespace jstip::data {

// Continues `crc` over `size` bytes; start with 0.
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(const void* data, size_t size) { return crc32c_extend(0, data, size); }

}  // namespace jstip::data
