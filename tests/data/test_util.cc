#include "tests/data/test_util.h"

#include <unistd.h>

#include <filesystem>

#include "host/data/synthesis_mix.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/plugin_registry.h"

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
  static const SynthesisMix synthesizer(synthesis_yaml("voices: [en-us]\nvariants: [\"\", f3, m3]\nseed: 7\n"),
                                        build_plugins());
  return synthesizer.make_record(id, text, index);
}

std::shared_ptr<const host::PluginRegistry> build_plugins() {
  static const auto registry = host::PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR});
  return registry;
}

SynthesisOptions synthesis_yaml(const std::string& yaml) {
  return synthesis_options_from_config(Config(host::parse_yaml(yaml, "test.yaml"), ""));
}

}  // namespace jstip::data::testing
