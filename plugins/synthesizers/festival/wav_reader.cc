#include "wav_reader.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace jstip::synth {
namespace {

uint32_t le32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }
uint16_t le16(const unsigned char* p) { return uint16_t(p[0] | (p[1] << 8)); }

}  // namespace

Pcm16 read_pcm16_wav(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto fail = [&](const std::string& why) -> Pcm16 { throw std::runtime_error(path + ": " + why); };
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0)
    return fail("not a RIFF/WAVE file");
  Pcm16 out;
  bool have_format = false;
  for (size_t at = 12; at + 8 <= bytes.size();) {
    const unsigned char* chunk = bytes.data() + at;
    const size_t size = le32(chunk + 4);
    if (at + 8 + size > bytes.size()) return fail("chunk runs past the end of the file");
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (size < 16 || le16(chunk + 8) != 1 || le16(chunk + 10) != 1 || le16(chunk + 22) != 16)
        return fail("not 16-bit mono PCM");
      out.sample_rate = int(le32(chunk + 12));
      have_format = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_format) return fail("data before format");
      out.samples.resize(size / 2);
      for (size_t i = 0; i < out.samples.size(); ++i) out.samples[i] = short(le16(chunk + 8 + 2 * i));
      return out;
    }
    at += 8 + size + (size & 1);
  }
  return fail("no data chunk");
}

}  // namespace jstip::synth
