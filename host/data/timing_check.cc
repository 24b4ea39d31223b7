#include "host/data/timing_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace jstip::data {
namespace {

constexpr int kFrame = 160;  // 10 ms at 16 kHz

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

std::string word_span_problem(const WordSpan& span, double previous_start, double audio_seconds) {
  if (span.end < span.start) return "ends before it starts";
  if (span.start < previous_start - 1e-6) return "starts before the previous word";
  if (audio_seconds > 0 && span.end > audio_seconds + kWordEndSlackSeconds)
    return "ends at " + std::to_string(span.end) + " s, after the audio (" + std::to_string(audio_seconds) + " s)";
  return "";
}

void TimingAgreement::add(const std::vector<float>& samples, const std::vector<WordSpan>& words) {
  if (samples.empty() || words.empty()) return;
  std::vector<double> rms;
  for (size_t begin = 0; begin < samples.size(); begin += kFrame) {
    double sum = 0;
    for (size_t i = begin; i < std::min(samples.size(), begin + kFrame); ++i) sum += double(samples[i]) * samples[i];
    rms.push_back(std::sqrt(sum / kFrame));
  }
  const double threshold = *std::max_element(rms.begin(), rms.end()) * std::pow(10.0, options_.silence_db / 20.0);
  std::vector<bool> sound(rms.size());
  for (size_t f = 0; f < rms.size(); ++f) sound[f] = rms[f] > threshold;
  const auto first = std::find(sound.begin(), sound.end(), true) - sound.begin();
  const auto last = int64_t(sound.size()) - 1 - (std::find(sound.rbegin(), sound.rend(), true) - sound.rbegin());
  if (first > last) return;  // silent audio: nothing to compare
  const double frame_s = double(kFrame) / 16000.0;
  onset_errors_ms_.push_back(1000 * std::abs(words.front().start - double(first) * frame_s));
  offset_errors_ms_.push_back(1000 * std::abs(words.back().end - double(last + 1) * frame_s));

  // Pauses inside the speech, and whether a word boundary meets each.
  const int64_t min_frames = int64_t(std::ceil(options_.min_pause_ms / 10.0));
  const double tolerance = options_.tolerance_ms / 1000.0;
  for (int64_t f = first; f <= last;) {
    if (sound[size_t(f)]) {
      ++f;
      continue;
    }
    int64_t g = f;
    while (g <= last && !sound[size_t(g)]) ++g;
    if (g - f >= min_frames) {
      ++pauses_;
      const double p0 = double(f) * frame_s - tolerance, p1 = double(g) * frame_s + tolerance;
      for (size_t k = 0; k + 1 < words.size(); ++k)
        if (words[k].end <= p1 && words[k + 1].start >= p0) {  // the gap between word k and k+1 meets the pause
          ++pauses_at_boundary_;
          break;
        }
    }
    f = g;
  }
  for (const auto& w : words)
    for (int64_t f = int64_t(w.start / frame_s); f < std::min<int64_t>(int64_t(std::ceil(w.end / frame_s)), int64_t(sound.size())); ++f) {
      word_frames_ += 1;
      word_sound_frames_ += sound[size_t(f)] ? 1 : 0;
    }
}

double TimingAgreement::median_onset_error_ms() const { return median(onset_errors_ms_); }
double TimingAgreement::median_offset_error_ms() const { return median(offset_errors_ms_); }
double TimingAgreement::sound_share_of_words() const { return word_frames_ > 0 ? word_sound_frames_ / word_frames_ : 0; }

std::string TimingAgreement::summary() const {
  char line[256];
  std::snprintf(line, sizeof line,
                "utterances %lld, onset error median %.0f ms, offset error median %.0f ms, pauses on a word "
                "boundary %lld/%lld (%.0f%%), word time that is sound %.0f%%",
                (long long)utterances(), median_onset_error_ms(), median_offset_error_ms(), (long long)pauses_at_boundary_,
                (long long)pauses_, pauses_ ? 100.0 * double(pauses_at_boundary_) / double(pauses_) : 0.0,
                100 * sound_share_of_words());
  return line;
}

}  // namespace jstip::data
