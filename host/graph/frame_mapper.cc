#include "host/graph/frame_mapper.h"

#include <algorithm>
#include <cmath>

namespace jstip::graph {

std::pair<int64_t, int64_t> FrameMapper::frames(double start, double end, int64_t length) const {
  const double fps = frames_per_second();
  int64_t first = static_cast<int64_t>(std::floor(start * fps + 1e-9));
  int64_t last = static_cast<int64_t>(std::ceil(end * fps - 1e-9));
  first = std::clamp<int64_t>(first, 0, std::max<int64_t>(0, length - 1));
  last = std::clamp<int64_t>(last, first + 1, std::max<int64_t>(first + 1, length));
  return {first, last};
}

}  // namespace jstip::graph
