// Real-to-complex FFTs of many equal-length rows with FFTW (single
// precision). LibTorch's CPU FFT (pocketfft in Debian's build) took ~2x as
// long per 512-point row, about half of the fbank's time (docs/performance.md).
#pragma once

#include <torch/types.h>

namespace jstip::data {

class RealFft {
 public:
  // size: the transform length (even). Plans are made once per size and
  // process, under a lock (FFTW's planner is not thread-safe; running a plan is).
  explicit RealFft(int64_t size);

  // rows (n, size) float32, contiguous -> (n, size / 2 + 1) complex64, a view
  // of a buffer whose rows are padded to keep every row SIMD-aligned.
  torch::Tensor forward(const torch::Tensor& rows) const;

  int64_t size() const { return size_; }
  int64_t bins() const { return size_ / 2 + 1; }

 private:
  int64_t size_;
  int64_t padded_bins_;  // output row stride in complex values
  void* plan_;           // fftwf_plan, shared by every RealFft of this size
};

}  // namespace jstip::data
