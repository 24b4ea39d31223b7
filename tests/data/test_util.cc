#include "tests/data/test_util.h"

#include <unistd.h>

#include <filesystem>

#include "host/data/synthesizer.h"

namespace jstip::data::testing {
namespace fs = std::filesystem;

ScratchDir::ScratchDir(const std::string& name) {
  dir_ = (fs::path(JSTIP_BINARY_DIR) / "test-scratch" / (name + "-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir_);
  fs::create_directories(dir_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

std::string ScratchDir::path(const std::string& file) const { return file.empty() ? dir_ : dir_ + "/" + file; }

std::string fixture(const std::string& name) { return std::string(JSTIP_SOURCE_DIR) + "/tests/data/fixtures/" + name; }

Utterance speech_record(const std::string& id, const std::string& text, uint64_t index) {
  SynthesisOptions options;
  options.voices = {"en-us"};
  options.variants = {"", "f3", "m3"};
  options.seed = 7;
  static const Synthesizer synthesizer(options);
  return synthesizer.make_record(id, text, index);
}

}  // namespace jstip::data::testing
