#include "host/data/fbank.h"

#include <torch/torch.h>

#include <algorithm>
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

// Splits the FFT bins into a few bands and keeps, per band, only the filters
// with weight there: each bin feeds at most two triangles, so this skips most
// of the dense (bins x filters) product at a handful of extra kernels.
std::vector<Fbank::MelBand> Fbank::make_mel_bands(const torch::Tensor& mel_banks) {
  constexpr int64_t kBands = 4;
  const auto weights = mel_banks.t().contiguous();  // (fft/2 + 1, filters)
  const int64_t num_bins = weights.size(0);
  std::vector<Fbank::MelBand> bands;
  for (int64_t band = 0; band < kBands; ++band) {
    const int64_t first = band * num_bins / kBands, last = (band + 1) * num_bins / kBands;
    const auto used = weights.narrow(0, first, last - first).ne(0).any(0).nonzero();
    if (used.numel() == 0) continue;
    const int64_t first_filter = used.min().item<int64_t>(), end_filter = used.max().item<int64_t>() + 1;
    bands.push_back({first, last - first, first_filter, end_filter - first_filter,
                     weights.narrow(0, first, last - first).narrow(1, first_filter, end_filter - first_filter).contiguous()});
  }
  return bands;
}

int64_t Fbank::fft_size_for(int64_t window_size) {
  int64_t size = 8;  // the smallest FFT RealFft takes
  while (size < window_size) size *= 2;
  return size;
}

Fbank::Fbank(FbankOptions options)
    : options_(options),
      window_size_(int64_t(std::llround(options.sample_rate * options.frame_length_ms / 1000.0))),
      window_shift_(int64_t(std::llround(options.sample_rate * options.frame_shift_ms / 1000.0))),
      fft_(fft_size_for(window_size_)) {
  if (window_size_ < 2 || window_shift_ < 1 || options_.num_bins < 1)
    throw std::invalid_argument("fbank: frame length/shift too small or no mel bins");
  // Povey window: a Hann window raised to 0.85 (symmetric).
  window_ = torch::hann_window(window_size_, /*periodic=*/false, torch::kFloat32).pow(0.85);
  mel_banks_ = make_mel_banks(options_, fft_.size());
  mel_bands_ = make_mel_bands(mel_banks_);
}

int64_t Fbank::num_frames(int64_t num_samples) const {
  return num_samples < window_size_ ? 0 : 1 + (num_samples - window_size_) / window_shift_;
}

std::pair<torch::Tensor, torch::Tensor> Fbank::compute(const torch::Tensor& waveforms,
                                                       const torch::Tensor& lengths) const {
  TORCH_CHECK(waveforms.dim() == 2, "fbank: waveforms must be (batch, samples), got ", waveforms.sizes());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == waveforms.size(0), "fbank: lengths must be (batch)");
  const int64_t batch = waveforms.size(0);
  const int64_t max_frames = num_frames(waveforms.size(1));
  auto lengths_cpu = lengths.to(torch::kCPU, torch::kInt64).contiguous();
  auto frame_counts = torch::zeros({batch}, torch::kInt64);
  auto out = torch::zeros({batch, max_frames, options_.num_bins});
  auto x = waveforms.to(torch::kFloat32);
  // Only real frames are computed (no work on padding), a chunk of frames at a
  // time so the FFT buffer stays in cache.
  constexpr int64_t kChunk = 1024;
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t length = std::min(lengths_cpu.data_ptr<int64_t>()[b], waveforms.size(1));
    const int64_t frames = num_frames(length);
    frame_counts.data_ptr<int64_t>()[b] = frames;
    for (int64_t begin = 0; begin < frames; begin += kChunk) {
      const int64_t count = std::min(kChunk, frames - begin);
      const int64_t first_sample = begin * window_shift_;
      const int64_t num_samples = (count - 1) * window_shift_ + window_size_;
      auto samples = x[b].narrow(0, first_sample, num_samples);
      samples = options_.scale_to_int16 ? samples * 32768.0 : samples.clone();
      if (options_.dither > 0) samples.add_(torch::randn_like(samples), options_.dither);
      chunk_features(samples, count, out[b].narrow(0, begin, count));
    }
  }
  return {out, frame_counts};
}

void Fbank::chunk_features(const torch::Tensor& samples, int64_t frames, torch::Tensor out) const {
  const int64_t window = window_size_, shift = window_shift_, last_start = (frames - 1) * shift, fft_size = fft_.size();
  const double k = options_.preemphasis;
  // Each frame's mean (a strided reduction over the overlapping windows, no copy).
  auto means = options_.remove_dc_offset ? samples.unfold(0, window, shift).mean(-1) : torch::zeros({frames});
  // Kaldi per frame: y[i] = (x[i] - m) - k (x[i-1] - m) = (x[i] - k x[i-1]) - (1 - k) m for i >= 1,
  // and y[0] = (1 - k)(x[0] - m). x[i] - k x[i-1] is one pass over the samples.
  auto buffer = torch::empty({frames, fft_size});
  buffer.narrow(1, window, fft_size - window).zero_();
  auto body = buffer.narrow(1, 0, window);
  auto emphasized = k != 0 ? torch::sub(samples.narrow(0, 1, samples.size(0) - 1),
                                        samples.narrow(0, 0, samples.size(0) - 1), k)
                           : samples.narrow(0, 1, samples.size(0) - 1);
  auto after_first = body.narrow(1, 1, window - 1);
  torch::sub_out(after_first, emphasized.unfold(0, window - 1, shift), ((1.0 - k) * means).unsqueeze(1));
  body.select(1, 0).copy_((samples.slice(0, 0, last_start + 1, shift) - means) * (1.0 - k));
  body.mul_(window_);
  // |X|^2 = re^2 + im^2 on the interleaved real view: squaring in place and
  // adding the two strided halves is ~10x faster than a sum over the last axis
  // of size 2 (and ~2x faster than abs().pow(2)).
  auto squares = torch::view_as_real(fft_.forward(buffer)).reshape({frames, -1}).square_();
  auto power = squares.slice(1, 0, c10::nullopt, 2) + squares.slice(1, 1, c10::nullopt, 2);  // (frames, fft/2 + 1)
  for (const auto& band : mel_bands_)
    out.narrow(1, band.first_filter, band.num_filters).addmm_(power.narrow(1, band.first_bin, band.num_bins), band.weights);
  out.clamp_min_(std::numeric_limits<float>::epsilon()).log_();
}

torch::Tensor Fbank::compute(const torch::Tensor& waveform) const {
  TORCH_CHECK(waveform.dim() == 1, "fbank: expected one waveform (samples), got ", waveform.sizes());
  auto lengths = torch::full({1}, waveform.size(0), torch::kInt64);
  return compute(waveform.unsqueeze(0), lengths).first.squeeze(0);
}

}  // namespace jstip::data
