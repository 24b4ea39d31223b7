#include "host/graph/frame_mapper.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace jstip::graph {

namespace {

// Clamps [first, last) into a sequence of `length` frames, keeping one frame at least.
std::pair<int64_t, int64_t> clamp_span(int64_t first, int64_t last, int64_t length) {
  first = std::clamp<int64_t>(first, 0, std::max<int64_t>(0, length - 1));
  last = std::clamp<int64_t>(last, first + 1, std::max<int64_t>(first + 1, length));
  return {first, last};
}

}  // namespace

std::pair<int64_t, int64_t> FrameMapper::frames(double start, double end, int64_t length) const {
  const double fps = frames_per_second();
  return clamp_span(static_cast<int64_t>(std::floor(start * fps + 1e-9)),
                    static_cast<int64_t>(std::ceil(end * fps - 1e-9)), length);
}

std::pair<int64_t, int64_t> CompressedFrameMapper::frames(double start, double end, int64_t row,
                                                          int64_t length) const {
  if (row < 0 || row >= static_cast<int64_t>(runs_before.size()))
    throw std::out_of_range("compressed frame map has no audio row " + std::to_string(row));
  const auto& runs = runs_before[row];
  const auto encoder_length = static_cast<int64_t>(runs.size()) - 1;
  auto [e0, e1] = encoder_frames.frames(start, end, encoder_length);
  const int64_t step = std::max<int64_t>(1, projector_downsampling);
  const int64_t r0 = runs[e0], r1 = runs[e1];
  // A span in which the CTC head never fired still gets the run nearest to it.
  return clamp_span(r0 / step, (r1 + step - 1) / step, length);
}

}  // namespace jstip::graph
