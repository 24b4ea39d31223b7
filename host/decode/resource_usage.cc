#include "host/decode/resource_usage.h"

#include <sys/resource.h>

#ifdef JSTIP_HAVE_C10_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace jstip::decode {

int64_t peak_rss_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

int64_t cuda_peak_bytes(const torch::Device& device) {
#ifdef JSTIP_HAVE_C10_CUDA
  if (device.is_cuda()) {
    const int index = device.has_index() ? device.index() : 0;
    return c10::cuda::CUDACachingAllocator::getDeviceStats(index).allocated_bytes[0].peak;  // [0]: all pools
  }
#endif
  (void)device;
  return -1;
}

void reset_cuda_peak(const torch::Device& device) {
#ifdef JSTIP_HAVE_C10_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#endif
  (void)device;
}

}  // namespace jstip::decode
