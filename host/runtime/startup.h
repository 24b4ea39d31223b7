// Process start-up shared by every command: logging, threads, and the check
// that LibTorch is not running on Debian's slow reference BLAS.
#pragma once

#include <string>

namespace jstip::host {

// Routes SDK/plugin logs to spdlog; level is trace|debug|info|warn|error|off.
void init_logging(const std::string& level);

// Intra-op threads: explicit value, else OMP_NUM_THREADS, else all cores.
// (LibTorch here defaults to 1 thread, which halves matmul speed on 2 cores.)
int init_threads(int requested);

// Keeps freed tensor memory in the process for reuse: tensors up to 32 MiB come
// from the heap instead of fresh mmap'd pages, and the heap is not trimmed back
// to the OS after every large free. Without it every large tensor is a new
// mapping whose pages fault on first touch (costly in VMs): a batch of 16
// utterances encoded 2-3x slower than 16 single ones. Leaves glibc's settings
// alone when the user set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_.
// Returns false when it changed nothing.
bool tune_allocator();

struct BlasReport {
  std::string library;   // resolved path of the BLAS LibTorch loaded, "" if unknown
  double gflops = 0;     // measured fp32 matmul rate (0 when not measured)
  bool slow = false;     // reference BLAS (by name) or measured rate too low
};

// Inspects the loaded BLAS library; times a small matmul only when the
// library cannot be identified. Cheap enough to run at every start.
BlasReport check_blas(bool always_measure = false);

// Logs a loud warning with the fix when the BLAS is slow.
void warn_if_slow_blas();

}  // namespace jstip::host
