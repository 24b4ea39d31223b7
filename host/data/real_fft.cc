#include "host/data/real_fft.h"

#include <fftw3.h>
#include <torch/torch.h>

#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

namespace jstip::data {
namespace {

// 32 bytes: AVX. Rows of the input (size floats) and of the output (a
// multiple of 4 complex values) then all start at the plan's alignment.
constexpr int64_t kAlignBytes = 32;

fftwf_plan plan_for(int64_t size, int64_t padded_bins) {
  static std::mutex mutex;
  static std::map<int64_t, fftwf_plan> plans;  // kept for the process's life
  std::lock_guard<std::mutex> lock(mutex);
  auto found = plans.find(size);
  if (found != plans.end()) return found->second;
  // The planner reads the arrays' alignment, not their contents.
  auto* in = static_cast<float*>(fftwf_malloc(sizeof(float) * size));
  auto* out = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * padded_bins));
  // FFTW_ESTIMATE plans in ~4 ms, once per process; FFTW_MEASURE ran ~8%
  // faster per row here but took 0.1 s to plan, at every start.
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(static_cast<int>(size), in, out, FFTW_ESTIMATE);
  fftwf_free(in);
  fftwf_free(out);
  if (!plan) throw std::runtime_error("fbank: FFTW could not plan a real FFT of length " + std::to_string(size));
  plans.emplace(size, plan);
  return plan;
}

bool aligned(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer) % kAlignBytes == 0; }

}  // namespace

RealFft::RealFft(int64_t size) : size_(size) {
  // Rows of `size` floats stay aligned only when size is a multiple of 8.
  if (size < 1 || (size * int64_t(sizeof(float))) % kAlignBytes != 0)
    throw std::invalid_argument("fbank: FFT length must be a positive multiple of 8, got " + std::to_string(size));
  const int64_t per_row = kAlignBytes / int64_t(sizeof(fftwf_complex));
  padded_bins_ = (bins() + per_row - 1) / per_row * per_row;
  plan_ = plan_for(size_, padded_bins_);
}

torch::Tensor RealFft::forward(const torch::Tensor& rows) const {
  TORCH_CHECK(rows.dim() == 2 && rows.size(1) == size_ && rows.scalar_type() == torch::kFloat32 &&
                  rows.is_contiguous() && rows.device().is_cpu(),
              "fbank: FFT input must be contiguous float32 (rows, ", size_, ") on the CPU, got ", rows.sizes());
  const int64_t n = rows.size(0);
  auto out = torch::empty({n, padded_bins_}, torch::TensorOptions().dtype(torch::kComplexFloat));
  auto* in_rows = rows.data_ptr<float>();
  auto* out_rows = reinterpret_cast<fftwf_complex*>(out.data_ptr());
  // A plan runs only on arrays aligned like the ones it was made for; LibTorch
  // allocates at 64 bytes, and the row strides keep that.
  TORCH_CHECK(n == 0 || (aligned(in_rows) && aligned(out_rows)), "fbank: FFT buffers are not ", kAlignBytes,
              "-byte aligned");
  auto plan = static_cast<fftwf_plan>(plan_);
  for (int64_t r = 0; r < n; ++r) fftwf_execute_dft_r2c(plan, in_rows + r * size_, out_rows + r * padded_bins_);
  return out.narrow(1, 0, bins());
}

}  // namespace jstip::data
