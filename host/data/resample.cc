#include "host/data/resample.h"

#include <soxr.h>

#include <cmath>
#include <string>

#include "host/data/audio_io.h"

namespace jstip::data {

std::vector<float> resample(const std::vector<float>& mono, double from_rate, double to_rate) {
  if (from_rate <= 0 || to_rate <= 0)
    throw AudioError("resample: rates must be positive, got " + std::to_string(from_rate) + " -> " +
                     std::to_string(to_rate));
  if (from_rate == to_rate || mono.empty()) return mono;
  const size_t out_len = size_t(std::llround(double(mono.size()) * to_rate / from_rate));
  // Too short to give one sample: soxr_oneshot crashes on the null buffer
  // of an empty vector (found by fuzzing).
  if (out_len == 0) return {};
  std::vector<float> out(out_len);
  size_t done = 0;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  soxr_error_t error = soxr_oneshot(from_rate, to_rate, 1, mono.data(), mono.size(), nullptr, out.data(),
                                    out.size(), &done, &io, &quality, nullptr);
  if (error)
    throw AudioError("resample " + std::to_string(from_rate) + " -> " + std::to_string(to_rate) + ": " + error);
  out.resize(done);
  return out;
}

}  // namespace jstip::data
