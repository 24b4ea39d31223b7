#include "host/align/word_timings.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "host/graph/ctc_viterbi.h"

namespace jstip::align {

std::vector<WordTiming> word_timings(const graph::CtcPath& path, const std::vector<int64_t>& word_first_unit,
                                     double frame_seconds, double audio_seconds, Boundaries boundaries) {
  if (!path.ok) throw std::invalid_argument("word_timings: the path failed: " + path.error);
  if (word_first_unit.empty()) throw std::invalid_argument("word_timings: no word offsets");
  const size_t words = word_first_unit.size() - 1;
  const int64_t units = word_first_unit.back();
  // First and last frame of each unit, and the summed log posterior of its frames.
  std::vector<int64_t> first(units, -1), last(units, -1), count(units, 0);
  std::vector<double> log_prob(units, 0.0);
  for (size_t t = 0; t < path.frame_token.size(); ++t) {
    const int64_t u = path.frame_token[t];
    if (u < 0) continue;
    if (u >= units) throw std::invalid_argument("word_timings: the path has unit " + std::to_string(u) +
                                                " but the words have " + std::to_string(units));
    if (first[u] < 0) first[u] = static_cast<int64_t>(t);
    last[u] = static_cast<int64_t>(t);
    ++count[u];
    log_prob[u] += path.frame_log_prob[t];
  }
  auto clamp = [&](double seconds) { return audio_seconds > 0 ? std::min(seconds, audio_seconds) : seconds; };
  std::vector<WordTiming> out(words);
  for (size_t w = words; w-- > 0;) {
    const int64_t begin = word_first_unit[w], end = word_first_unit[w + 1];
    if (begin == end) {  // no units: an empty span where the next word starts
      const double at = w + 1 < words ? out[w + 1].start : clamp(path.frame_token.size() * frame_seconds);
      out[w] = {at, at, 0.0f};
      continue;
    }
    double sum = 0;
    int64_t frames = 0;
    for (int64_t u = begin; u < end; ++u) {
      if (first[u] < 0) throw std::invalid_argument("word_timings: unit " + std::to_string(u) + " is not on the path");
      sum += log_prob[u];
      frames += count[u];
    }
    out[w].start = clamp(static_cast<double>(first[begin]) * frame_seconds);
    out[w].end = clamp(static_cast<double>(last[end - 1] + 1) * frame_seconds);
    out[w].confidence = static_cast<float>(std::exp(sum / static_cast<double>(frames)));
  }
  if (boundaries == Boundaries::Gaps)
    for (size_t w = 0; w + 1 < words; ++w) {
      const double middle = 0.5 * (out[w].end + out[w + 1].start);
      out[w].end = middle;
      out[w + 1].start = std::min(middle, out[w + 1].end);
    }
  return out;
}

double path_score(const graph::CtcPath& path) {
  if (!path.ok || path.frame_token.empty()) return -std::numeric_limits<double>::infinity();
  return path.log_prob / static_cast<double>(path.frame_token.size());
}

}  // namespace jstip::align
