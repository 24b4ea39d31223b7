#include "decoder/rotary.h"

#include <torch/torch.h>

#include <cmath>

namespace jstip::decoder {

torch::Tensor rotary_inverse_frequencies(const RotaryConfig& c, int64_t head_dim, const torch::TensorOptions& options) {
  auto exponents = torch::arange(0, head_dim, 2, options.dtype(torch::kFloat64)) / static_cast<double>(head_dim);
  auto inv_freq = torch::pow(c.theta, exponents).reciprocal();  // [D/2], float64 until the end
  if (c.type == "linear") inv_freq = inv_freq / c.factor;
  if (c.type == "llama3") {
    // Long wavelengths are slowed by `factor`, short ones kept, the band between interpolated.
    double old_context = static_cast<double>(c.original_max_positions);
    double low_freq_wavelen = old_context / c.low_freq_factor;
    double high_freq_wavelen = old_context / c.high_freq_factor;
    auto wavelen = 2 * M_PI / inv_freq;
    auto smooth = (old_context / wavelen - c.low_freq_factor) / (c.high_freq_factor - c.low_freq_factor);
    auto interpolated = (1 - smooth) * inv_freq / c.factor + smooth * inv_freq;
    inv_freq = torch::where(wavelen > low_freq_wavelen, inv_freq / c.factor,
                            torch::where(wavelen < high_freq_wavelen, inv_freq, interpolated));
  }
  return inv_freq.to(torch::kFloat32);
}

RotaryTables rotary_tables(const torch::Tensor& positions, const torch::Tensor& inv_freq, torch::Dtype dtype) {
  auto freqs = positions.to(torch::kFloat32).unsqueeze(-1) * inv_freq;  // [B, T, D/2]
  auto sin = freqs.sin();
  auto angles = torch::cat({freqs, freqs}, -1).unsqueeze(1);  // [B, 1, T, D]
  return {angles.cos().to(dtype), torch::cat({-sin, sin}, -1).unsqueeze(1).to(dtype)};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& t) {
  // HF's x * cos + rotate_half(x) * sin with rotate_half(x) = [-x2, x1]: the sign lives in
  // the table, so the rotation is a roll (3 kernels instead of 5, once per q and k per layer).
  return torch::addcmul(x * t.cos, x.roll(x.size(-1) / 2, -1), t.signed_sin);
}

}  // namespace jstip::decoder
