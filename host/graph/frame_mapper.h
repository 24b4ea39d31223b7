// Maps word times (seconds) to frames of the projected speech sequence:
// through the feature frame shift and every down-sampling step on the way
// (encoder subsampling x projector stacking).
#pragma once

#include <cstdint>
#include <utility>

namespace jstip::graph {

struct FrameMapper {
  double frame_shift_seconds = 0.01;  // fbank hop
  int64_t downsampling = 1;           // encoder.downsampling() * projector.downsampling()

  double frames_per_second() const { return 1.0 / (frame_shift_seconds * static_cast<double>(downsampling)); }

  // Output frames [first, last) covering [start, end) seconds, clamped to the
  // sequence; never empty (a word shorter than one frame still gets one).
  std::pair<int64_t, int64_t> frames(double start, double end, int64_t length) const;
};

}  // namespace jstip::graph
