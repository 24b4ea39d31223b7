// Peak memory for the decode summary: the process's resident set and, on
// CUDA builds of LibTorch, the caching allocator's peak on a device.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace jstip::decode {

int64_t peak_rss_bytes();  // getrusage's ru_maxrss

// -1 when the device is not CUDA or this build has no CUDA allocator.
int64_t cuda_peak_bytes(const torch::Device& device);
void reset_cuda_peak(const torch::Device& device);

}  // namespace jstip::decode
