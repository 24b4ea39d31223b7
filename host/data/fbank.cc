#include "host/data/fbank.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace jstip::data {
namespace {

double mel_scale(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }

// Triangular filters equally spaced on the mel scale (Kaldi's MelBanks,
// without VTLN); the last FFT bin (Nyquist) gets no weight, as in Kaldi.
torch::Tensor make_mel_banks(const FbankOptions& o, int64_t fft_size) {
  const double nyquist = 0.5 * o.sample_rate;
  const double high = o.high_freq > 0 ? o.high_freq : nyquist + o.high_freq;
  if (o.low_freq < 0 || high > nyquist || o.low_freq >= high)
    throw std::invalid_argument("fbank: need 0 <= low_freq < high_freq <= Nyquist, got low_freq=" +
                                std::to_string(o.low_freq) + " high_freq=" + std::to_string(high));
  const int64_t num_fft_bins = fft_size / 2;
  const double mel_low = mel_scale(o.low_freq), mel_high = mel_scale(high);
  const double delta = (mel_high - mel_low) / double(o.num_bins + 1);
  auto f64 = torch::TensorOptions().dtype(torch::kFloat64);
  auto bin = torch::arange(o.num_bins, f64).unsqueeze(1);
  auto left = mel_low + bin * delta, center = mel_low + (bin + 1) * delta, right = mel_low + (bin + 2) * delta;
  auto mel = 1127.0 * torch::log1p(torch::arange(num_fft_bins, f64) * (o.sample_rate / double(fft_size)) / 700.0);
  mel = mel.unsqueeze(0);
  auto up = (mel - left) / (center - left), down = (right - mel) / (right - center);
  auto banks = torch::clamp_min(torch::minimum(up, down), 0.0);
  return torch::constant_pad_nd(banks, {0, 1}, 0).to(torch::kFloat32);
}

}  // namespace

Fbank::Fbank(FbankOptions options) : options_(options) {
  window_size_ = int64_t(std::llround(options_.sample_rate * options_.frame_length_ms / 1000.0));
  window_shift_ = int64_t(std::llround(options_.sample_rate * options_.frame_shift_ms / 1000.0));
  if (window_size_ < 2 || window_shift_ < 1 || options_.num_bins < 1)
    throw std::invalid_argument("fbank: frame length/shift too small or no mel bins");
  fft_size_ = 1;
  while (fft_size_ < window_size_) fft_size_ *= 2;
  // Povey window: a Hann window raised to 0.85 (symmetric).
  window_ = torch::hann_window(window_size_, /*periodic=*/false, torch::kFloat32).pow(0.85);
  mel_banks_ = make_mel_banks(options_, fft_size_);
}

int64_t Fbank::num_frames(int64_t num_samples) const {
  return num_samples < window_size_ ? 0 : 1 + (num_samples - window_size_) / window_shift_;
}

std::pair<torch::Tensor, torch::Tensor> Fbank::compute(const torch::Tensor& waveforms,
                                                       const torch::Tensor& lengths) const {
  TORCH_CHECK(waveforms.dim() == 2, "fbank: waveforms must be (batch, samples), got ", waveforms.sizes());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == waveforms.size(0), "fbank: lengths must be (batch)");
  auto frame_counts = torch::where(lengths >= window_size_, torch::div(lengths - window_size_, window_shift_, "floor") + 1,
                                   torch::zeros_like(lengths)).to(torch::kInt64);
  const int64_t batch = waveforms.size(0);
  const int64_t max_frames = num_frames(waveforms.size(1));
  if (max_frames == 0) return {torch::zeros({batch, 0, options_.num_bins}), frame_counts};

  auto x = waveforms.to(torch::kFloat32);
  if (options_.scale_to_int16) x = x * 32768.0;
  if (options_.dither > 0) x = x + options_.dither * torch::randn_like(x);
  // Only real frames are computed (no work on padding): gather them from the
  // strided view, then process in chunks that stay in cache.
  auto all_frames = x.unfold(1, window_size_, window_shift_);  // (B, T, window), a view
  auto valid = (torch::arange(max_frames, torch::kInt64).unsqueeze(0) < frame_counts.unsqueeze(1)).reshape(-1);
  auto rows = valid.nonzero().squeeze(1);
  auto out = torch::zeros({batch * max_frames, options_.num_bins});
  constexpr int64_t kChunk = 1024;
  for (int64_t begin = 0; begin < rows.size(0); begin += kChunk) {
    auto chunk_rows = rows.narrow(0, begin, std::min(kChunk, rows.size(0) - begin));
    auto frames = all_frames.index({torch::div(chunk_rows, max_frames, "floor"), chunk_rows.remainder(max_frames)});
    out.index_copy_(0, chunk_rows, frames_to_features(frames));
  }
  auto features = out.view({batch, max_frames, options_.num_bins});
  return {features, frame_counts};
}

torch::Tensor Fbank::frames_to_features(torch::Tensor frames) const {
  if (options_.remove_dc_offset) frames = frames - frames.mean(-1, true);
  if (options_.preemphasis != 0) {
    // Kaldi: x[i] -= k * x[i-1], and x[0] -= k * x[0].
    auto previous = torch::cat({frames.narrow(-1, 0, 1), frames.narrow(-1, 0, window_size_ - 1)}, -1);
    frames = frames - options_.preemphasis * previous;
  }
  frames = frames * window_;
  auto power = torch::fft::rfft(frames, fft_size_, -1).abs().pow(2);  // (N, fft/2 + 1)
  auto mel = torch::matmul(power, mel_banks_.t());
  return torch::clamp_min(mel, std::numeric_limits<float>::epsilon()).log();
}

torch::Tensor Fbank::compute(const torch::Tensor& waveform) const {
  TORCH_CHECK(waveform.dim() == 1, "fbank: expected one waveform (samples), got ", waveform.sizes());
  auto lengths = torch::full({1}, waveform.size(0), torch::kInt64);
  return compute(waveform.unsqueeze(0), lengths).first.squeeze(0);
}

}  // namespace jstip::data
