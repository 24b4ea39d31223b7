#include "host/runtime/startup.h"

#include <ATen/Parallel.h>
#include <link.h>
#include <malloc.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "jstip/log.h"

namespace jstip::host {
namespace {

void spdlog_sink(LogLevel level, const std::string& source, const std::string& message) {
  static const spdlog::level::level_enum levels[] = {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                                                     spdlog::level::warn, spdlog::level::err};
  spdlog::log(levels[static_cast<int>(level)], "{}: {}", source, message);
}

// Finds the BLAS shared object loaded into this process, following Debian's
// alternatives symlinks to the real library.
std::string loaded_blas_path() {
  std::string found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        std::string name = info->dlpi_name ? info->dlpi_name : "";
        auto base = std::filesystem::path(name).filename().string();
        if (base.rfind("libblas.so", 0) == 0 || base.rfind("libopenblas", 0) == 0 || base.rfind("libmkl", 0) == 0 ||
            base.rfind("libblis", 0) == 0) {
          std::error_code ec;
          auto real = std::filesystem::canonical(name, ec);
          *static_cast<std::string*>(data) = ec ? name : real.string();
          return 1;
        }
        return 0;
      },
      &found);
  return found;
}

double measure_matmul_gflops() {
  torch::NoGradGuard no_grad;
  const int64_t n = 256;
  auto a = torch::randn({n, n});
  auto b = torch::randn({n, n});
  torch::mm(a, b);  // warm-up
  auto start = std::chrono::steady_clock::now();
  const int repeats = 4;
  for (int i = 0; i < repeats; ++i) torch::mm(a, b);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return 2.0 * n * n * n * repeats / seconds / 1e9;
}

}  // namespace

void init_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("jstip");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^[%H:%M:%S %l]%$ %v");
  spdlog::set_level(spdlog::level::from_str(level));
  set_log_sink(&spdlog_sink);
}

bool tune_allocator() {
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_")) return false;
  const bool mmap_set = mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1;  // glibc's maximum on 64-bit
  const bool trim_set = mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1;
  return mmap_set && trim_set;
}

int init_threads(int requested) {
  int threads = requested;
  if (threads <= 0)
    if (const char* env = std::getenv("OMP_NUM_THREADS")) threads = std::atoi(env);
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  return threads;
}

BlasReport check_blas(bool always_measure) {
  BlasReport report;
  report.library = loaded_blas_path();
  bool known_fast = report.library.find("openblas") != std::string::npos ||
                    report.library.find("mkl") != std::string::npos ||
                    report.library.find("blis") != std::string::npos;
  bool known_slow = !report.library.empty() && !known_fast &&
                    (report.library.find("/blas/") != std::string::npos ||
                     report.library.find("libblas.so") != std::string::npos);
  if (always_measure || (!known_fast && !known_slow)) {
    report.gflops = measure_matmul_gflops();
    // Only an unidentified library is judged by its rate (a busy machine can
    // slow a known-good one): the reference BLAS reaches ~6 GFLOP/s here, any
    // optimized one far above 20.
    if (!known_fast && !known_slow) known_slow = report.gflops < 20.0;
  }
  report.slow = known_slow;
  return report;
}

void warn_if_slow_blas() {
  if (std::getenv("JSTIP_SKIP_BLAS_CHECK")) return;
  BlasReport report = check_blas();
  if (!report.slow) return;
  spdlog::warn("************************************************************************");
  spdlog::warn("LibTorch is using a slow reference BLAS ({}{})", report.library.empty() ? "unknown library" : report.library,
               report.gflops > 0 ? ", " + std::to_string(static_cast<int>(report.gflops)) + " GFLOP/s" : "");
  spdlog::warn("Training and decoding will be ~50x slower than they should be. Fix:");
  spdlog::warn("    sudo apt-get install libopenblas0-openmp");
  spdlog::warn("************************************************************************");
}

}  // namespace jstip::host
