// A 64-bit content hash of a tensor (XXH64 of its bytes, seeded with its
// dtype and shape), to tell whether a weight is still the one a pretrained
// file gave it: checkpoints leave such weights out and record this hash, and
// loading them back from the file is checked against it (checkpoint.h).
// Not a persistent format of its own: only equal bytes, dtype and shape give
// equal hashes, on every machine.
#pragma once

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace jstip::train {

// XXH64 (Yann Collet's xxHash, 64-bit) of `size` bytes.
uint64_t xxh64(const void* data, size_t size, uint64_t seed);

// Any device; copies to the CPU when it must.
uint64_t tensor_hash(const torch::Tensor& tensor);

// 16 lowercase hex digits, and back (throws std::invalid_argument).
std::string hash_hex(uint64_t hash);
uint64_t parse_hash_hex(const std::string& text);

}  // namespace jstip::train
