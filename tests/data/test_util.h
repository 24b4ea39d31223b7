// Shared helpers of the data tests: scratch directories and speech.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host/data/shard_file.h"
#include "host/data/synthesis_mix.h"

namespace jstip::host {
class PluginRegistry;
}

namespace jstip::data::testing {

// A fresh empty directory under the build tree, removed at exit of the test.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name);
  ~ScratchDir();
  std::string path(const std::string& file = "") const;

 private:
  std::string dir_;
};

std::string fixture(const std::string& name);  // tests/data/fixtures/<name>

// A synthesized record with a fixed voice (seeded), for tests that need speech.
Utterance speech_record(const std::string& id, const std::string& text, uint64_t index = 0);

// The plugins of this build tree (synthesizers included).
std::shared_ptr<const host::PluginRegistry> build_plugins();

// A `synthesis` config section from YAML text ("test.yaml").
SynthesisOptions synthesis_yaml(const std::string& yaml);

}  // namespace jstip::data::testing
