// Audio files in and out (libsndfile: WAV, FLAC, ...) as float samples in
// [-1, 1]. Everything downstream works on 16 kHz mono.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace jstip::data {

constexpr int kSampleRate = 16000;
constexpr int kMinSampleRate = 1000;  // load_audio_16k refuses lower rates

class AudioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Audio {
  std::vector<float> samples;  // interleaved when channels > 1
  int sample_rate = 0;
  int channels = 0;
  int64_t frames() const { return channels ? int64_t(samples.size()) / channels : 0; }
};

// Reads a file, optionally only [start, end) seconds (end 0: to the end).
// Throws AudioError naming the file for unreadable, empty or cut-out-of-range audio.
Audio read_audio(const std::string& path, double start = 0, double end = 0);

// Average of the channels.
std::vector<float> mix_to_mono(const Audio& audio);

// read_audio + mix_to_mono + resample to 16 kHz; a rate below
// kMinSampleRate, or audio too short to give one sample at 16 kHz, is an AudioError.
std::vector<float> load_audio_16k(const std::string& path, double start = 0, double end = 0);

// 16-bit PCM WAV, or FLAC when the name ends in .flac; written to a temp
// file and renamed.
void write_audio(const std::string& path, const std::vector<float>& mono, int sample_rate);

// Inline record audio: little-endian int16 bytes.
std::string to_pcm16(const std::vector<float>& samples);
std::vector<float> from_pcm16(const std::string& bytes);

}  // namespace jstip::data
