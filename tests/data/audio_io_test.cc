#include "host/data/audio_io.h"

#include <gtest/gtest.h>
#include <sndfile.h>
#include <sys/resource.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iterator>

#include "host/data/resample.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

std::vector<float> sine(double hz, double rate, double seconds, float amplitude = 0.5f) {
  std::vector<float> out(size_t(rate * seconds));
  for (size_t i = 0; i < out.size(); ++i) out[i] = amplitude * float(std::sin(2 * M_PI * hz * double(i) / rate));
  return out;
}

// Frequency of the strongest FFT bin.
double peak_hz(const std::vector<float>& x, double rate) {
  auto t = torch::from_blob(const_cast<float*>(x.data()), {int64_t(x.size())}, torch::kFloat32);
  auto spectrum = torch::fft::rfft(t).abs();
  return spectrum.argmax().item<int64_t>() * rate / double(x.size());
}

TEST(AudioIo, WavAndFlacRoundTrip) {
  testing::ScratchDir dir("audio-roundtrip");
  const auto x = sine(440, 16000, 0.5);
  for (const std::string name : {"a.wav", "a.flac"}) {
    write_audio(dir.path(name), x, 16000);
    Audio back = read_audio(dir.path(name));
    EXPECT_EQ(back.sample_rate, 16000);
    EXPECT_EQ(back.channels, 1);
    ASSERT_EQ(back.samples.size(), x.size());
    for (size_t i = 0; i < x.size(); i += 97) EXPECT_NEAR(back.samples[i], x[i], 1.0 / 16000) << name << " at " << i;
  }
}

TEST(AudioIo, SegmentsAreCutBySeconds) {
  testing::ScratchDir dir("audio-segment");
  write_audio(dir.path("s.wav"), sine(440, 16000, 1.0), 16000);
  EXPECT_EQ(read_audio(dir.path("s.wav"), 0.25, 0.75).samples.size(), 8000u);
  EXPECT_THROW(read_audio(dir.path("s.wav"), 2.0, 3.0), AudioError);
}

TEST(AudioIo, StereoMixesDownToTheMean) {
  Audio stereo;
  stereo.sample_rate = 16000;
  stereo.channels = 2;
  stereo.samples = {1.0f, 0.0f, 0.5f, -0.5f, -1.0f, 0.2f};
  EXPECT_EQ(mix_to_mono(stereo), (std::vector<float>{0.5f, 0.0f, -0.4f}));
}

TEST(AudioIo, StereoFileAt44kLoadsAs16kMono) {
  testing::ScratchDir dir("audio-stereo");
  const auto left = sine(1000, 44100, 0.5), right = sine(1000, 44100, 0.5, 0.25f);
  std::vector<float> interleaved;
  for (size_t i = 0; i < left.size(); ++i) {
    interleaved.push_back(left[i]);
    interleaved.push_back(right[i]);
  }
  SF_INFO info{};
  info.samplerate = 44100;
  info.channels = 2;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(dir.path("st.wav").c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  sf_writef_float(f, interleaved.data(), sf_count_t(left.size()));
  sf_close(f);
  const auto mono = load_audio_16k(dir.path("st.wav"));
  EXPECT_NEAR(double(mono.size()), 8000, 2);
  EXPECT_NEAR(peak_hz(mono, 16000), 1000, 2.5);
  const float peak = *std::max_element(mono.begin(), mono.end());
  EXPECT_NEAR(peak, 0.375f, 0.02f);  // mean of 0.5 and 0.25 amplitudes
}

TEST(Resample, CommonRatesTo16kKeepLengthAndPitch) {
  for (double rate : {8000.0, 22050.0, 44100.0}) {
    const auto x = sine(1000, rate, 1.0);
    const auto y = resample(x, rate, 16000);
    EXPECT_NEAR(double(y.size()), 16000, 1) << rate;
    EXPECT_NEAR(peak_hz(y, 16000), 1000, 1.01) << rate;
    // The tone keeps its level away from the edges (no aliasing loss).
    double energy = 0;
    for (size_t i = 1000; i < 15000; ++i) energy += double(y[i]) * y[i];
    EXPECT_NEAR(std::sqrt(energy / 14000), 0.5 / std::sqrt(2.0), 0.01) << rate;
  }
}

TEST(Resample, RemovesContentAboveTheNewNyquist) {
  // A 10 kHz tone must vanish rather than fold back to 6 kHz.
  const auto y = resample(sine(10000, 44100, 0.5), 44100, 16000);
  double energy = 0;
  for (size_t i = 500; i + 500 < y.size(); ++i) energy += double(y[i]) * y[i];
  EXPECT_LT(std::sqrt(energy / double(y.size() - 1000)), 1e-3);  // away from the edges
}

TEST(AudioIo, ClearErrors) {
  testing::ScratchDir dir("audio-errors");
  try {
    read_audio(dir.path("missing.wav"));
    FAIL();
  } catch (const AudioError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.wav"), std::string::npos);
  }
  std::ofstream(dir.path("text.wav")) << "this is not audio";
  try {
    read_audio(dir.path("text.wav"));
    FAIL() << "a text file read as audio";
  } catch (const AudioError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(dir.path("text.wav") + ": ", 0), 0u) << e.what();
  }
  SF_INFO info{};
  info.samplerate = 16000;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  sf_close(sf_open(dir.path("empty.wav").c_str(), SFM_WRITE, &info));
  try {
    read_audio(dir.path("empty.wav"));
    FAIL();
  } catch (const AudioError& e) {
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  }
  EXPECT_THROW(write_audio(dir.path("none.wav"), {}, 16000), AudioError);
  EXPECT_THROW(resample({0.1f}, 0, 16000), AudioError);
}

// A valid WAV with one header field damaged: the RIFF or fmt chunk id, the
// format tag, or a channel count of 0. Each is an AudioError naming the file.
TEST(AudioIo, DamagedWavHeaderIsAnErrorNamingTheFile) {
  testing::ScratchDir dir("audio-damaged-header");
  write_audio(dir.path("good.wav"), sine(440, 16000, 0.1), 16000);
  std::ifstream in(dir.path("good.wav"), std::ios::binary);
  const std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(good.substr(0, 4), "RIFF");
  const size_t fmt = good.find("fmt ");
  ASSERT_NE(fmt, std::string::npos);
  // The fmt chunk: id, size (4 bytes), format tag (2), channels (2).
  struct Damage {
    std::string name;
    size_t offset;
    std::string bytes;
  };
  for (const Damage& d : {Damage{"riff.wav", 0, "JUNK"}, Damage{"fmt.wav", fmt, "fmx "},
                          Damage{"format_tag.wav", fmt + 8, std::string("\x77\x77", 2)},
                          Damage{"zero_channels.wav", fmt + 10, std::string(2, '\0')}}) {
    std::string bytes = good;
    bytes.replace(d.offset, d.bytes.size(), d.bytes);
    std::ofstream(dir.path(d.name), std::ios::binary) << bytes;
    try {
      const Audio audio = read_audio(dir.path(d.name));
      ADD_FAILURE() << d.name << " read: " << audio.frames() << " frames, " << audio.channels << " channels";
    } catch (const AudioError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(dir.path(d.name) + ": ", 0), 0u) << e.what();
    }
  }
}

// Found by fuzzing (fuzz/corpus/wav_reader/crash-resample-to-nothing.wav):
// a clip that gives no sample at 16 kHz crashed inside soxr.
TEST(Resample, TooShortForOneOutputSampleGivesNone) {
  EXPECT_TRUE(resample({0.25f}, 48000, 16000).empty());
  EXPECT_EQ(resample({0.25f, 0.5f}, 48000, 16000).size(), 1u);
}

TEST(AudioIo, AudioTooShortFor16kIsAnErrorNamingTheFile) {
  testing::ScratchDir dir("audio-too-short");
  write_audio(dir.path("one.wav"), {0.25f}, 48000);
  try {
    load_audio_16k(dir.path("one.wav"));
    FAIL() << "one sample at 48 kHz loaded";
  } catch (const AudioError& e) {
    EXPECT_NE(std::string(e.what()).find("one.wav: audio too short"), std::string::npos) << e.what();
  }
}

// Found by fuzzing (fuzz/corpus/wav_reader/crash-1hz-upsampling.wav): a
// header claiming 1 Hz made load_audio_16k upsample 16000-fold.
TEST(AudioIo, SampleRateTooLowForSpeechIsAnErrorNamingTheFile) {
  testing::ScratchDir dir("audio-low-rate");
  write_audio(dir.path("1hz.wav"), std::vector<float>(100, 0.25f), 1);
  EXPECT_EQ(read_audio(dir.path("1hz.wav")).sample_rate, 1);  // the reader itself takes any rate
  try {
    load_audio_16k(dir.path("1hz.wav"));
    FAIL() << "1 Hz audio was upsampled";
  } catch (const AudioError& e) {
    EXPECT_NE(std::string(e.what()).find("1hz.wav: sample rate 1 Hz is below 1000 Hz"), std::string::npos) << e.what();
  }
}

// Caps the address space 1 GiB above what the process maps now, so that an
// allocation of the size a lying header claims fails at once, on any machine.
class AddressSpaceLimit {
 public:
  AddressSpaceLimit() {
    ::getrlimit(RLIMIT_AS, &old_);
    long pages = 0;
    std::ifstream("/proc/self/statm") >> pages;
    struct rlimit limit = old_;
    limit.rlim_cur = rlim_t(pages) * ::sysconf(_SC_PAGESIZE) + (rlim_t(1) << 30);
    ::setrlimit(RLIMIT_AS, &limit);
  }
  ~AddressSpaceLimit() { ::setrlimit(RLIMIT_AS, &old_); }

 private:
  struct rlimit old_ {};
};

// Found by fuzzing (fuzz/corpus/wav_reader/crash-flac-claims-37-hours.flac):
// read_audio allocated what the header claimed before reading, so a tiny
// FLAC claiming 2^32 samples asked for 16 GiB.
TEST(AudioIo, HeaderClaimingMoreAudioThanTheFileHoldsIsAShortRead) {
  testing::ScratchDir dir("audio-lying-header");
  const std::string path = dir.path("lying.flac");
  write_audio(path, sine(440, 16000, 0.1), 16000);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  char bytes[26];
  file.read(bytes, 26);
  ASSERT_EQ(std::string(bytes, 4), "fLaC");
  // STREAMINFO's 36-bit total sample count: low nibble of byte 21, bytes 22-25.
  bytes[21] = char((uint8_t(bytes[21]) & 0xF0) | 0x01);
  bytes[22] = bytes[23] = bytes[24] = bytes[25] = 0;
  file.seekp(0);
  file.write(bytes, 26);
  file.close();
  AddressSpaceLimit limit;
  try {
    read_audio(path);
    FAIL() << "a file claiming 2^32 samples loaded";
  } catch (const AudioError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("lying.flac: short read: "), std::string::npos) << what;
    EXPECT_NE(what.find(" of 4294967296 frames"), std::string::npos) << what;
  }
}

TEST(AudioIo, Pcm16RoundTripAndClipping) {
  const std::vector<float> x = {0.0f, 0.5f, -0.5f, 1.5f, -2.0f, 1.0f / 32768};
  const auto back = from_pcm16(to_pcm16(x));
  EXPECT_EQ(back, (std::vector<float>{0.0f, 0.5f, -0.5f, 32767.0f / 32768, -1.0f, 1.0f / 32768}));
}

}  // namespace
}  // namespace jstip::data
