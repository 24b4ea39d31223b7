// Fuzz target: the audio reader (host/data/audio_io.cc, libsndfile under it)
// on arbitrary bytes, as the data loader uses it: whole file, a segment, and
// the 16 kHz mono path. Properties: the only exception is AudioError naming
// the file; what comes back has the size its header claims.
#include <cmath>

#include "fuzz/fuzz_util.h"
#include "host/data/audio_io.h"

using namespace jstip::data;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static jstip::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  const jstip::fuzz::NoFdLeak no_fd_leak;
  try {
    const Audio audio = read_audio(path);
    if (audio.sample_rate <= 0 || audio.channels <= 0 || audio.frames() <= 0 ||
        audio.samples.size() != size_t(audio.frames()) * size_t(audio.channels))
      jstip::fuzz::finding("read_audio() returned inconsistent audio");
    if (mix_to_mono(audio).size() != size_t(audio.frames())) jstip::fuzz::finding("mix_to_mono() lost frames");
    // The second half of the file, as a segment record would ask for it.
    const double seconds = double(audio.frames()) / audio.sample_rate;
    if (audio.frames() >= 2) {
      const Audio half = read_audio(path, seconds / 2, seconds);
      if (std::llabs(half.frames() - audio.frames() / 2) > 1)
        jstip::fuzz::finding("segment read returned " + std::to_string(half.frames()) + " frames of " +
                             std::to_string(audio.frames()));
    }
    load_audio_16k(path);
  } catch (const AudioError& e) {
    jstip::fuzz::require_names(e, path);
  }
  return 0;
}
