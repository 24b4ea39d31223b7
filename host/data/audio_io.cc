#include "host/data/audio_io.h"

#include <sndfile.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "host/data/resample.h"

namespace jstip::data {

Audio read_audio(const std::string& path, double start, double end) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (!file) throw AudioError(path + ": cannot read audio: " + sf_strerror(nullptr));
  struct Closer {
    SNDFILE* f;
    ~Closer() { sf_close(f); }
  } closer{file};
  if (info.frames <= 0 || info.channels <= 0)
    throw AudioError(path + ": audio is empty (0 samples)");
  sf_count_t first = 0, last = info.frames;
  if (start > 0 || end > 0) {
    first = sf_count_t(std::llround(start * info.samplerate));
    if (end > 0) last = std::min<sf_count_t>(info.frames, sf_count_t(std::llround(end * info.samplerate)));
    if (first >= last)
      throw AudioError(path + ": segment [" + std::to_string(start) + ", " + std::to_string(end) +
                       ") s is outside the audio (" + std::to_string(double(info.frames) / info.samplerate) + " s)");
    if (sf_seek(file, first, SEEK_SET) < 0) throw AudioError(path + ": cannot seek to " + std::to_string(start) + " s");
  }
  Audio audio;
  audio.sample_rate = info.samplerate;
  audio.channels = info.channels;
  // Memory grows with what is decoded, not with what the header claims: a
  // 128-byte FLAC can claim 37 hours (found by fuzzing).
  const sf_count_t want = last - first;
  const sf_count_t block = std::max<sf_count_t>(1, (sf_count_t(1) << 20) / info.channels);
  sf_count_t got = 0;
  while (got < want) {
    const sf_count_t n = std::min(block, want - got);
    audio.samples.resize(size_t(got + n) * info.channels);
    const sf_count_t read = sf_readf_float(file, audio.samples.data() + size_t(got) * info.channels, n);
    got += std::max<sf_count_t>(read, 0);
    if (read < n) break;
  }
  if (got != want)
    throw AudioError(path + ": short read: " + std::to_string(got) + " of " + std::to_string(want) + " frames");
  return audio;
}

std::vector<float> mix_to_mono(const Audio& audio) {
  if (audio.channels == 1) return audio.samples;
  const int64_t n = audio.frames();
  std::vector<float> mono(size_t(n), 0.0f);
  const float scale = 1.0f / float(audio.channels);
  for (int64_t i = 0; i < n; ++i) {
    float sum = 0;
    for (int c = 0; c < audio.channels; ++c) sum += audio.samples[size_t(i * audio.channels + c)];
    mono[size_t(i)] = sum * scale;
  }
  return mono;
}

std::vector<float> load_audio_16k(const std::string& path, double start, double end) {
  Audio audio = read_audio(path, start, end);
  // Below this no file holds speech, and upsampling multiplies memory and
  // time by 16000 / rate (a 1 Hz header took seconds per 100 frames; found by fuzzing).
  if (audio.sample_rate < kMinSampleRate)
    throw AudioError(path + ": sample rate " + std::to_string(audio.sample_rate) + " Hz is below " +
                     std::to_string(kMinSampleRate) + " Hz (a damaged header?)");
  std::vector<float> out = resample(mix_to_mono(audio), audio.sample_rate, kSampleRate);
  // Empty pcm16 means a text-only record: say so here instead.
  if (out.empty())
    throw AudioError(path + ": audio too short: " + std::to_string(audio.frames()) + " samples at " +
                     std::to_string(audio.sample_rate) + " Hz give none at " + std::to_string(kSampleRate) + " Hz");
  return out;
}

void write_audio(const std::string& path, const std::vector<float>& mono, int sample_rate) {
  if (mono.empty()) throw AudioError(path + ": refusing to write empty audio");
  const bool flac = path.size() > 5 && path.compare(path.size() - 5, 5, ".flac") == 0;
  SF_INFO info{};
  info.samplerate = sample_rate;
  info.channels = 1;
  info.format = (flac ? SF_FORMAT_FLAC : SF_FORMAT_WAV) | SF_FORMAT_PCM_16;
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  SNDFILE* file = sf_open(temp.c_str(), SFM_WRITE, &info);
  if (!file) throw AudioError(path + ": cannot write audio: " + sf_strerror(nullptr));
  // Clip instead of wrapping around on overflow.
  sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t written = sf_writef_float(file, mono.data(), sf_count_t(mono.size()));
  sf_close(file);
  if (written != sf_count_t(mono.size()) || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    throw AudioError(path + ": writing audio failed");
  }
}

std::string to_pcm16(const std::vector<float>& samples) {
  std::string bytes(samples.size() * 2, '\0');
  for (size_t i = 0; i < samples.size(); ++i) {
    const float clipped = std::clamp(samples[i], -1.0f, 1.0f);
    const auto v = int16_t(std::lrint(std::min(clipped * 32768.0f, 32767.0f)));
    bytes[2 * i] = char(uint16_t(v) & 0xFF);
    bytes[2 * i + 1] = char(uint16_t(v) >> 8);
  }
  return bytes;
}

std::vector<float> from_pcm16(const std::string& bytes) {
  std::vector<float> samples(bytes.size() / 2);
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto v = int16_t(uint16_t(uint8_t(bytes[2 * i])) | (uint16_t(uint8_t(bytes[2 * i + 1])) << 8));
    samples[i] = float(v) / 32768.0f;
  }
  return samples;
}

}  // namespace jstip::data
