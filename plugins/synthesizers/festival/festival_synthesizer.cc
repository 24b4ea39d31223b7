// `festival`: the Festival Speech Synthesis System, run as a child process
// (`festival --pipe`) with a Scheme script that synthesizes the text, saves
// the wave and prints each token's span from the utterance structure: a
// token (one request word) starts where the segment before its first segment
// ends and ends with its last segment. Voices: kal, ked (diphone), slt (HTS).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "common/synth_util.h"
#include "jstip/plugin.h"
#include "jstip/synthesizer.h"
#include "wav_reader.h"

namespace {

using namespace jstip::synth;
namespace fs = std::filesystem;

struct VoiceInfo {
  const char* scheme;   // the voice's selection function
  const char* folder;   // below the voice directory
  const char* package;  // Debian package
};

const std::map<std::string, VoiceInfo>& known_voices() {
  static const std::map<std::string, VoiceInfo> voices = {
      {"kal", {"voice_kal_diphone", "english/kal_diphone", "festvox-kallpc16k"}},
      {"ked", {"voice_ked_diphone", "english/ked_diphone", "festvox-kdlpc16k"}},
      {"slt", {"voice_cmu_us_slt_arctic_hts", "us/cmu_us_slt_arctic_hts", "festvox-us-slt-hts"}},
  };
  return voices;
}

std::string scheme_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A folder of its own per call, removed on the way out.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    static std::atomic<uint64_t> counter{0};
    path = fs::temp_directory_path() /
           ("jstip-festival-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

class FestivalSynthesizer : public jstip::Synthesizer {
 public:
  explicit FestivalSynthesizer(const jstip::Config& config)
      : voices_(config.get_string_list("voices")),
        program_(config.get_string("program")),
        stretch_(config.get_double_list("duration_stretch")) {
    if (voices_.empty()) throw std::invalid_argument(config.where("voices") + ": no voices configured");
    if (stretch_.size() != 2 || stretch_[0] > stretch_[1] || stretch_[0] <= 0)
      throw jstip::ConfigError(config.where("duration_stretch") + ": duration_stretch must be [min, max], 0 < min <= max");
    if (!fs::exists(program_))
      throw std::runtime_error("festival: " + program_ + " not found: apt-get install festival");
    const fs::path voice_dir = config.get_string("voice_dir");
    for (const auto& v : voices_) {
      auto it = known_voices().find(v);
      if (it == known_voices().end())
        throw std::invalid_argument(config.where("voices") + ": festival voice '" + v + "' unknown (kal, ked, slt)");
      if (!fs::exists(voice_dir / it->second.folder))
        throw std::runtime_error("festival: voice '" + v + "' not installed (no " + (voice_dir / it->second.folder).string() +
                                 "): apt-get install " + it->second.package);
    }
  }

  std::vector<std::string> voices() const override { return voices_; }

  jstip::SynthesizedSpeech synthesize(const jstip::SynthesisRequest& request) const override {
    std::mt19937_64 rng(request.seed);
    std::string voice = voices_[rng() % voices_.size()];
    const double stretch = std::uniform_real_distribution<double>(stretch_[0], stretch_[1])(rng);
    if (!request.voice.empty()) voice = request.voice;
    if (std::find(voices_.begin(), voices_.end(), voice) == voices_.end())
      throw std::invalid_argument("festival: voice '" + voice + "' is not one of this synthesizer's voices");
    const auto words = split_words(request.text);
    auto fail = [&](const std::string& why) -> std::runtime_error {
      return std::runtime_error("festival (voice " + voice + "): " + why + " for '" + request.text + "'");
    };

    ScratchDir scratch;
    const fs::path script = scratch.path / "say.scm", wav = scratch.path / "say.wav";
    char stretch_text[32];
    std::snprintf(stretch_text, sizeof stretch_text, "%.4f", stretch);  // locale-free enough for Scheme
    {
      std::ofstream s(script);
      s << "(" << known_voices().at(voice).scheme << ")\n"
        << "(Parameter.set 'Duration_Stretch " << stretch_text << ")\n"
        << "(set! utt (utt.synth (Utterance Text " << scheme_string(request.text) << ")))\n"
        << "(utt.save.wave utt " << scheme_string(wav.string()) << " 'riff)\n"
        << "(define (jstip-tokens tok)\n"
        << "  (if tok (begin (format t \"TOKEN %f %f\\n\"\n"
        << "    (item.feat tok \"daughter1.R:SylStructure.daughter1.daughter1.R:Segment.p.end\")\n"
        << "    (item.feat tok \"daughtern.R:SylStructure.daughtern.daughtern.R:Segment.end\"))\n"
        << "    (jstip-tokens (item.next tok)))))\n"
        << "(jstip-tokens (utt.relation.first utt 'Token))\n";
      if (!s) throw fail("cannot write " + script.string());
    }
    const std::string command = shell_quote(program_) + " --pipe < " + shell_quote(script.string()) + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw fail("cannot run " + program_);
    std::string output;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
    const int status = ::pclose(pipe);
    std::vector<std::pair<double, double>> spans;
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
      double start = 0, end = 0;
      if (std::sscanf(line.c_str(), "TOKEN %lf %lf", &start, &end) == 2) spans.push_back({start, end});
    }
    if (status != 0 || !fs::exists(wav))
      throw fail("festival failed (status " + std::to_string(status) + "): " + output.substr(0, 500));
    if (spans.size() != words.size())
      throw fail(std::to_string(spans.size()) + " tokens in its utterance for " + std::to_string(words.size()) +
                 " words");
    const Pcm16 audio = read_pcm16_wav(wav.string());
    if (audio.samples.empty()) throw fail("no audio");

    jstip::SynthesizedSpeech out;
    out.voice = voice;
    out.settings = {{"duration_stretch", stretch_text}};
    out.samples = to_16k(audio.samples, audio.sample_rate);
    const double total = double(out.samples.size()) / jstip::kSynthesisSampleRate;
    for (size_t k = 0; k < words.size(); ++k) {
      const double start = std::min(spans[k].first, total);
      out.words.push_back({words[k], start, std::clamp(spans[k].second, start, total), 1.0f});
    }
    check_timings(out, "festival", request.text);
    return out;
  }

 private:
  std::vector<std::string> voices_;
  std::string program_;
  std::vector<double> stretch_;
};

const jstip_option_desc kOptions[] = {
    {"voices", JSTIP_OPT_STRING_LIST, "[kal, ked, slt]", "festival voices: kal, ked (diphone), slt (HTS)"},
    {"duration_stretch", JSTIP_OPT_FLOAT_LIST, "[0.9, 1.15]", "speaking-time factor, [min, max] drawn per utterance"},
    {"program", JSTIP_OPT_STRING, "/usr/bin/festival", "the festival binary (run with --pipe)"},
    {"voice_dir", JSTIP_OPT_STRING, "/usr/share/festival/voices", "where festival voices are installed"},
};

}  // namespace

JSTIP_PLUGIN(FestivalSynthesizer, "synthesizer", "festival", "1.0.0",
             "Festival as a child process, word spans from the utterance structure", kOptions)
