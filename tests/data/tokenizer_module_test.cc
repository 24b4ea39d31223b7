// The sentencepiece module is code loaded into the host, like a plugin: a
// world-writable copy (or one in a world-writable folder) is not loaded
// unless JSTIP_ALLOW_WRITABLE_PLUGINS=1.
//
// The module is loaded once per process, so each case loads it in a fresh
// process: a "threadsafe" death test re-runs the test binary for the case.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "host/data/sentencepiece_tokenizer.h"
#include "host/runtime/startup.h"

namespace jstip::data {
namespace {

namespace fs = std::filesystem;

// A copy of the module in a folder of its own. The path does not depend on the
// process id: the death-test child re-runs this and must find the same path.
fs::path module_copy(const std::string& name) {
  const fs::path dir = fs::path(JSTIP_BINARY_DIR) / "test-scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(JSTIP_SENTENCEPIECE_MODULE_FILE, dir / "libjstip_sentencepiece.so");
  return fs::canonical(dir / "libjstip_sentencepiece.so");
}

bool is_mapped(const fs::path& library) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(library.string()) != std::string::npos) return true;
  return false;
}

constexpr int kCopyLoaded = 0, kCopyNotLoaded = 3, kNoModule = 4;

// Runs in the child: loads the module as `jstip` does, with `copy` named by
// JSTIP_SENTENCEPIECE_MODULE, and exits saying whether the copy was mapped.
[[noreturn]] void load_module_and_exit(const fs::path& copy) {
  host::init_logging("warn");  // warnings go to stderr, where EXPECT_EXIT reads them
  ::setenv("JSTIP_SENTENCEPIECE_MODULE", copy.c_str(), 1);
  try {
    SentencePieceTokenizer tokenizer((copy.parent_path() / "absent.model").string());
  } catch (const std::exception& e) {
    // The model is absent on purpose (only the module matters), but no module at all is a failure.
    if (std::string(e.what()).find("cannot load the sentencepiece module") != std::string::npos) {
      std::fprintf(stderr, "%s\n", e.what());
      std::exit(kNoModule);
    }
  }
  std::exit(is_mapped(copy) ? kCopyLoaded : kCopyNotLoaded);
}

class TokenizerModule : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  void TearDown() override {
    if (!dir_.empty()) {
      fs::permissions(dir_, fs::perms::others_write, fs::perm_options::remove);
      fs::remove_all(dir_);
    }
  }
  fs::path copy(const std::string& name) {
    fs::path path = module_copy(name);
    dir_ = path.parent_path();
    return path;
  }
  fs::path dir_;
};

TEST_F(TokenizerModule, WorldWritableModuleIsNotLoaded) {
  const fs::path module = copy("tokenizer-module-file");
  fs::permissions(module, fs::perms::others_write, fs::perm_options::add);
  EXPECT_EXIT(load_module_and_exit(module), ::testing::ExitedWithCode(kCopyNotLoaded),
              "libjstip_sentencepiece.so is world-writable; fix its permissions");
}

TEST_F(TokenizerModule, ModuleInWorldWritableFolderIsNotLoaded) {
  const fs::path module = copy("tokenizer-module-folder");
  fs::permissions(module.parent_path(), fs::perms::others_write, fs::perm_options::add);
  EXPECT_EXIT(load_module_and_exit(module), ::testing::ExitedWithCode(kCopyNotLoaded),
              "tokenizer-module-folder is world-writable");
}

// The same copies load when allowed: what kept them out above was the check.
TEST_F(TokenizerModule, WorldWritableModuleLoadsWhenAllowed) {
  const fs::path module = copy("tokenizer-module-allowed");
  fs::permissions(module, fs::perms::others_write, fs::perm_options::add);
  fs::permissions(module.parent_path(), fs::perms::others_write, fs::perm_options::add);
  EXPECT_EXIT(
      {
        ::setenv("JSTIP_ALLOW_WRITABLE_PLUGINS", "1", 1);
        load_module_and_exit(module);
      },
      ::testing::ExitedWithCode(kCopyLoaded), "");
}

}  // namespace
}  // namespace jstip::data
