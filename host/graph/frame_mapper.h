// Maps word times (seconds) to frames of the projected speech sequence:
// through the feature frame shift and every down-sampling step on the way
// (encoder subsampling x projector stacking), and, when the encoder output
// was compressed by its CTC head (speech.compress: ctc), through the runs of
// frames that were kept.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace jstip::graph {

struct FrameMapper {
  double frame_shift_seconds = 0.01;  // fbank hop
  int64_t downsampling = 1;           // encoder.downsampling() * projector.downsampling()

  double frames_per_second() const { return 1.0 / (frame_shift_seconds * static_cast<double>(downsampling)); }

  // Output frames [first, last) covering [start, end) seconds, clamped to the
  // sequence; never empty (a word shorter than one frame still gets one).
  std::pair<int64_t, int64_t> frames(double start, double end, int64_t length) const;
};

// Time -> frames after CTC compression: encoder frames [e0, e1) of a span hold
// the kept runs that start inside them, [runs_before[e0], runs_before[e1]),
// which the projector then stacks by `projector_downsampling`.
struct CompressedFrameMapper {
  FrameMapper encoder_frames;         // downsampling = the encoder's alone
  int64_t projector_downsampling = 1;
  std::vector<std::vector<int64_t>> runs_before;  // per audio row: runs starting before encoder frame f, f = 0..T'

  // Projected frames [first, last) of audio row `row` (projected length
  // `length`) for [start, end) seconds; never empty, like FrameMapper::frames.
  std::pair<int64_t, int64_t> frames(double start, double end, int64_t row, int64_t length) const;
};

}  // namespace jstip::graph
