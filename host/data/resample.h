// Sample-rate conversion with libsoxr (high quality, linear phase).
#pragma once

#include <vector>

namespace jstip::data {

// Empty when the input is too short to give one output sample.
std::vector<float> resample(const std::vector<float>& mono, double from_rate, double to_rate);

}  // namespace jstip::data
