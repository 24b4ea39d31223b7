// Minimal reader for the 16-bit mono RIFF files festival writes.
#pragma once

#include <string>
#include <vector>

namespace jstip::synth {

struct Pcm16 {
  std::vector<short> samples;
  int sample_rate = 0;
};

Pcm16 read_pcm16_wav(const std::string& path);  // throws naming the file

}  // namespace jstip::synth
