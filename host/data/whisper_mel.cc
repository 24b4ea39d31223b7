#include "host/data/whisper_mel.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace jstip::data {
namespace {

constexpr int64_t kCentre = kWhisperFftSize / 2;  // torch.stft(center=True) pads n_fft // 2 each side
constexpr int64_t kChunk = 1024;                  // frames per FFT batch: the buffer stays in cache

// librosa's Slaney mel scale (htk=False): linear below 1 kHz, logarithmic above.
constexpr double kMelStep = 200.0 / 3;  // f_sp
constexpr double kLogHz = 1000.0, kLogMel = kLogHz / kMelStep;
const double kLogStep = std::log(6.4) / 27.0;

double hz_to_mel(double hz) { return hz >= kLogHz ? kLogMel + std::log(hz / kLogHz) / kLogStep : hz / kMelStep; }
double mel_to_hz(double mel) { return mel >= kLogMel ? kLogHz * std::exp(kLogStep * (mel - kLogMel)) : kMelStep * mel; }

}  // namespace

// librosa.filters.mel step by step (numpy's rfftfreq and linspace included),
// so that the float32 result is librosa's to the last bit or nearly.
torch::Tensor slaney_mel_filters(double sample_rate, int64_t fft_size, int64_t num_mels) {
  if (sample_rate <= 0 || fft_size < 2 || num_mels < 1)
    throw std::invalid_argument("mel filters: need a positive sample rate, n_fft >= 2 and n_mels >= 1");
  const int64_t bins = fft_size / 2 + 1;
  std::vector<double> fft_hz(static_cast<size_t>(bins));
  const double spacing = 1.0 / (double(fft_size) * (1.0 / sample_rate));  // rfftfreq: val = 1 / (n * d)
  for (int64_t k = 0; k < bins; ++k) fft_hz[size_t(k)] = double(k) * spacing;
  // mel_frequencies(n_mels + 2, fmin=0, fmax=sr / 2): linspace on the mel scale, back to Hz.
  const int64_t points = num_mels + 2;
  const double mel_low = hz_to_mel(0.0), mel_high = hz_to_mel(sample_rate / 2);
  const double step = (mel_high - mel_low) / double(points - 1);
  std::vector<double> mel_hz(static_cast<size_t>(points));
  for (int64_t i = 0; i < points; ++i)
    mel_hz[size_t(i)] = mel_to_hz(i == points - 1 ? mel_high : double(i) * step + mel_low);
  auto filters = torch::zeros({num_mels, bins}, torch::kFloat32);
  auto* w = filters.data_ptr<float>();
  for (int64_t m = 0; m < num_mels; ++m) {
    const double left = mel_hz[size_t(m)], centre = mel_hz[size_t(m + 1)], right = mel_hz[size_t(m + 2)];
    const double enorm = 2.0 / (right - left);  // Slaney: each triangle has unit area
    for (int64_t k = 0; k < bins; ++k) {
      const double f = fft_hz[size_t(k)];
      const double lower = -(left - f) / (centre - left), upper = (right - f) / (right - centre);
      // librosa stores the triangle as float32 first, then scales it in place.
      const float triangle = float(std::max(0.0, std::min(lower, upper)));
      w[m * bins + k] = float(double(triangle) * enorm);
    }
  }
  return filters;
}

WhisperMel::WhisperMel(WhisperMelOptions options) : options_(options), fft_(kWhisperFftSize) {
  if (options_.num_bins != 80 && options_.num_bins != 128)
    throw std::invalid_argument("whisper_mel: num_bins must be 80 or 128 (Whisper's mel filters; 128 for large-v3), got " +
                                std::to_string(options_.num_bins));
  window_ = torch::hann_window(kWhisperFftSize, /*periodic=*/true, torch::kFloat32);  // what whisper passes to torch.stft
  filters_ = slaney_mel_filters(16000.0, kWhisperFftSize, options_.num_bins);
  filters_t_ = filters_.t().contiguous();
}

int64_t WhisperMel::num_frames(int64_t num_samples) const {
  if (options_.pad_30s) return num_samples > 0 ? kWhisperChunkFrames : 0;  // a text-only row stays empty
  return num_samples <= kCentre ? 0 : num_samples / kWhisperHop;
}

int64_t WhisperMel::covered_frames(int64_t num_samples) const {
  return std::min(std::max<int64_t>(0, num_samples) / kWhisperHop, num_frames(num_samples));
}

Json WhisperMel::options_json() const {
  Json j = Json::object();
  j.set("type", Json::string(name()));
  j.set("num_bins", Json::integer(options_.num_bins));
  j.set("pad_30s", Json::boolean(options_.pad_30s));
  j.set("sample_rate", Json::integer(16000));
  j.set("n_fft", Json::integer(kWhisperFftSize));
  j.set("hop_length", Json::integer(kWhisperHop));
  return j;
}

FeatureBatch WhisperMel::compute(const torch::Tensor& waveforms, const torch::Tensor& lengths) const {
  TORCH_CHECK(waveforms.dim() == 2, "whisper_mel: waveforms must be (batch, samples), got ", waveforms.sizes());
  TORCH_CHECK(lengths.dim() == 1 && lengths.size(0) == waveforms.size(0), "whisper_mel: lengths must be (batch)");
  const int64_t batch = waveforms.size(0);
  auto lengths_cpu = lengths.to(torch::kCPU, torch::kInt64).contiguous();
  auto frames = torch::zeros({batch}, torch::kInt64), covered = torch::zeros({batch}, torch::kInt64);
  std::vector<int64_t> samples(static_cast<size_t>(batch));
  int64_t longest = 0;
  for (int64_t b = 0; b < batch; ++b) {
    samples[size_t(b)] = std::clamp<int64_t>(lengths_cpu.data_ptr<int64_t>()[b], 0, waveforms.size(1));
    frames.data_ptr<int64_t>()[b] = num_frames(samples[size_t(b)]);
    covered.data_ptr<int64_t>()[b] = covered_frames(samples[size_t(b)]);
    longest = std::max(longest, frames.data_ptr<int64_t>()[b]);
  }
  auto out = torch::zeros({batch, longest, options_.num_bins});
  const auto x = waveforms.to(torch::kCPU, torch::kFloat32);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t rows = frames.data_ptr<int64_t>()[b];
    if (rows > 0) utterance_features(x[b].narrow(0, 0, samples[size_t(b)]), out[b].narrow(0, 0, rows));
  }
  return {out, frames, covered};
}

void WhisperMel::utterance_features(const torch::Tensor& samples, torch::Tensor out) const {
  const int64_t n = samples.size(0);
  const int64_t padded = n + (options_.pad_30s ? kWhisperChunkSamples : 0);  // F.pad(audio, (0, padding))
  const int64_t total = padded / kWhisperHop;  // STFT frames, the last one dropped
  // The centred signal: 200 reflected samples, the (padded) audio, 200 reflected samples.
  auto signal = torch::zeros({padded + 2 * kCentre});
  signal.narrow(0, kCentre, n).copy_(samples);
  signal.narrow(0, 0, kCentre).copy_(signal.narrow(0, kCentre + 1, kCentre).flip(0));
  signal.narrow(0, kCentre + padded, kCentre).copy_(signal.narrow(0, padded - 1, kCentre).flip(0));
  // Frame t reads padded samples [t * 160 - 200, t * 160 + 200): past the
  // audio (and, padded, past its right reflection, which mirrors zeros) the
  // power is exactly 0, as torch.stft finds it.
  const int64_t with_audio = std::min(total, (n + kCentre + kWhisperHop - 1) / kWhisperHop);
  // The clamp needs the maximum over all `total` frames: computed in `out`
  // itself when it holds them all, else (pad_30s) in a buffer cut to 3000 after.
  torch::Tensor mel = out.size(0) == total ? out : torch::zeros({total, options_.num_bins});
  for (int64_t begin = 0; begin < with_audio; begin += kChunk)
    mel_power(signal, begin, mel.narrow(0, begin, std::min(kChunk, with_audio - begin)));
  if (with_audio < total) mel.narrow(0, with_audio, total - with_audio).zero_();
  // whisper: log_spec = clamp(mel, min=1e-10).log10(); maximum(log_spec, log_spec.max() - 8); (x + 4) / 4.
  mel.clamp_min_(1e-10).log10_();
  const float floor = mel.max().item<float>() - 8.0f;
  mel.clamp_min_(floor).add_(4.0).div_(4.0);
  if (!mel.is_same(out)) out.copy_(mel.narrow(0, 0, out.size(0)));
}

void WhisperMel::mel_power(const torch::Tensor& signal, int64_t first, torch::Tensor mel) const {
  const int64_t frames = mel.size(0);
  auto windows = signal.narrow(0, first * kWhisperHop, (frames - 1) * kWhisperHop + kWhisperFftSize)
                     .unfold(0, kWhisperFftSize, kWhisperHop);  // (frames, 400), a strided view
  auto buffer = torch::empty({frames, kWhisperFftSize});
  torch::mul_out(buffer, windows, window_);
  // |X|^2 on the interleaved real view (as in fbank.cc): re^2 and im^2 in place, then their sum.
  auto squares = torch::view_as_real(fft_.forward(buffer)).reshape({frames, -1}).square_();
  auto power = squares.slice(1, 0, c10::nullopt, 2) + squares.slice(1, 1, c10::nullopt, 2);  // (frames, 201)
  torch::mm_out(mel, power, filters_t_);
}

}  // namespace jstip::data
