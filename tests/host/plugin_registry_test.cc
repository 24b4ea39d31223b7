#include "host/runtime/plugin_registry.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"
#include "jstip/plugin.h"
#include "jstip/sdk_version.h"

namespace {

using namespace jstip::host;
const std::string kFixtures = JSTIP_FIXTURE_PLUGIN_DIR;

jstip::Config options(const std::string& yaml) {
  return jstip::Config(parse_yaml(yaml, "opts.yaml"), "interleaver");
}

std::string refusal_for(const PluginRegistry& registry, const std::string& file_part) {
  for (const auto& r : registry.refused())
    if (r.path.find(file_part) != std::string::npos) return r.reason;
  return "";
}

TEST(PluginRegistry, LoadsEveryInTreePlugin) {
  auto registry = PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR});
  EXPECT_TRUE(registry->refused().empty()) << registry->refused()[0].path << ": " << registry->refused()[0].reason;
  std::set<std::string> names;
  for (const auto& p : registry->plugins()) {
    names.insert(p.name);
    EXPECT_FALSE(p.version.empty());
    EXPECT_TRUE(std::filesystem::exists(p.path));
  }
  // Every plugin folder in the source tree produced a loadable plugin
  // (`common/` folders, of all plugins or of one kind, hold shared code).
  for (const auto& kind : std::filesystem::directory_iterator(std::string(JSTIP_SOURCE_DIR) + "/plugins"))
    if (kind.is_directory() && kind.path().filename() != "common")
      for (const auto& folder : std::filesystem::directory_iterator(kind.path()))
        if (std::filesystem::exists(folder.path() / "CMakeLists.txt") && folder.path().filename() != "common")
          EXPECT_TRUE(names.count(folder.path().filename().string())) << folder.path();
}

TEST(PluginRegistry, RefusesWrongApiVersionNamingTheField) {
  auto registry = PluginRegistry::scan({kFixtures + "/bad_api"});
  EXPECT_TRUE(registry->plugins().empty());
  std::string reason = refusal_for(*registry, "fixture_bad_api");
  EXPECT_NE(reason.find("api_version is " + std::to_string(JSTIP_SDK_API_VERSION + 1) +
                        ", this host expects " + std::to_string(JSTIP_SDK_API_VERSION)),
            std::string::npos)
      << reason;
  // Asking for it by name explains why it is not there.
  try {
    registry->find("fixture_bad_api");
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("was refused: api_version"), std::string::npos) << e.what();
  }
}

TEST(PluginRegistry, RefusesLibraryWithoutDescriptor) {
  auto registry = PluginRegistry::scan({kFixtures + "/no_descriptor"});
  EXPECT_NE(refusal_for(*registry, "fixture_no_descriptor").find("exports no 'jstip_plugin_descriptor'"),
            std::string::npos);
}

// This build's descriptor identity; each case below changes one field.
struct DescriptorFields {
  uint32_t struct_size = sizeof(jstip_descriptor);
  uint32_t api_version = JSTIP_SDK_API_VERSION;
  const char* interface_hash = JSTIP_SDK_INTERFACE_HASH;
  const char* torch_version = TORCH_VERSION;
  int32_t cxx11_abi = JSTIP_CXX11_ABI;
  const char* compiler = JSTIP_COMPILER_ID;
  std::string check() const {
    return check_descriptor_fields(struct_size, api_version, interface_hash, torch_version, cxx11_abi, compiler);
  }
};

const std::string kRebuild = "; rebuild the plugin against this SDK";

TEST(PluginRegistry, DescriptorFieldsEachNameTheirMismatch) {
  EXPECT_EQ(DescriptorFields{}.check(), "");
  DescriptorFields size;
  size.struct_size = sizeof(jstip_descriptor) + 8;
  EXPECT_EQ(size.check(), "descriptor size is " + std::to_string(sizeof(jstip_descriptor) + 8) +
                              " bytes, this host expects " + std::to_string(sizeof(jstip_descriptor)) + kRebuild);
  DescriptorFields hash;
  hash.interface_hash = "0123456789abcdef";
  EXPECT_EQ(hash.check(), "interface_hash is 0123456789abcdef, this host expects " JSTIP_SDK_INTERFACE_HASH
                          " (built against different SDK headers)" + kRebuild);
  hash.interface_hash = nullptr;  // a null string is named, not dereferenced
  EXPECT_EQ(hash.check().rfind("interface_hash is (null), this host expects", 0), 0u) << hash.check();
  DescriptorFields torch;
  torch.torch_version = "1.0.0";
  EXPECT_EQ(torch.check(), "torch_version is 1.0.0, this host expects " TORCH_VERSION + kRebuild);
  DescriptorFields abi;
  abi.cxx11_abi = 1 - JSTIP_CXX11_ABI;
  EXPECT_EQ(abi.check(), "cxx11_abi is " + std::to_string(1 - JSTIP_CXX11_ABI) + ", this host expects " +
                             std::to_string(JSTIP_CXX11_ABI) + kRebuild);
  DescriptorFields compiler;
  compiler.compiler = "OtherCC 1";
  EXPECT_EQ(compiler.check(), "compiler is OtherCC 1, this host expects " JSTIP_COMPILER_ID + kRebuild);
}

// With a wrong size the other fields are not at their expected offsets, so
// only the size is reported, whatever they hold.
TEST(PluginRegistry, DescriptorSizeIsCheckedFirst) {
  DescriptorFields all_wrong;
  all_wrong.struct_size = 4;
  all_wrong.api_version = JSTIP_SDK_API_VERSION + 1;
  all_wrong.compiler = "OtherCC 1";
  EXPECT_EQ(all_wrong.check().rfind("descriptor size is 4 bytes", 0), 0u) << all_wrong.check();
  EXPECT_EQ(all_wrong.check().find("api_version"), std::string::npos) << all_wrong.check();
}

TEST(PluginRegistry, RefusesDescriptorWithoutFactory) {
  auto registry = PluginRegistry::scan({kFixtures + "/no_factory"});
  EXPECT_TRUE(registry->plugins().empty());
  EXPECT_EQ(refusal_for(*registry, "fixture_no_factory"), "descriptor present but no 'jstip_plugin_create' factory");
  try {
    registry->find("no_factory");
    FAIL() << "a plugin without a factory was listed";
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("was refused: descriptor present but no"), std::string::npos) << e.what();
  }
}

// True when any library under `folder` is mapped into this process, i.e. was dlopen()ed.
bool mapped_from(const std::filesystem::path& folder) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line))
    if (line.find(folder.string() + "/") != std::string::npos) return true;
  return false;
}

// Only *.so files directly in a listed folder are opened: not those in a
// subfolder, a sibling folder or the parent.
TEST(PluginRegistry, LoadsOnlyFromTheFoldersItIsGiven) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / "jstip_plugin_elsewhere";
  fs::remove_all(root);
  fs::create_directories(root / "listed" / "nested");
  fs::create_directories(root / "sibling");
  const fs::path text_lm = std::string(JSTIP_BUILD_PLUGIN_DIR) + "/jstip_plugin_text_lm.so";
  for (const fs::path& folder : {root, root / "listed" / "nested", root / "sibling"})
    fs::copy_file(text_lm, folder / text_lm.filename());
  const fs::path canonical = fs::canonical(root);

  auto registry = PluginRegistry::scan({(root / "listed").string()});
  EXPECT_TRUE(registry->plugins().empty());
  EXPECT_TRUE(registry->refused().empty());
  EXPECT_THROW(registry->find("text_lm"), PluginError);
  EXPECT_FALSE(mapped_from(canonical)) << "a library outside the listed folder was opened";

  // The same file directly in the listed folder is loaded: the copies above were loadable.
  fs::copy_file(text_lm, root / "listed" / text_lm.filename());
  auto listed = PluginRegistry::scan({(root / "listed").string()});
  ASSERT_EQ(listed->plugins().size(), 1u);
  EXPECT_EQ(listed->plugins()[0].path, (canonical / "listed" / text_lm.filename()).string());
  fs::remove_all(root);
}

// The folders searched without a config: next to the binary, then
// JSTIP_PLUGIN_PATH; not the working folder, not LD_LIBRARY_PATH.
TEST(PluginRegistry, DefaultFoldersAreNextToTheBinaryThenThePluginPath) {
  const char* saved = std::getenv("JSTIP_PLUGIN_PATH");
  const std::string before = saved ? saved : "";
  ::setenv("JSTIP_PLUGIN_PATH", "/opt/a::/opt/b", 1);
  const auto folders = PluginRegistry::default_folders();
  if (saved)
    ::setenv("JSTIP_PLUGIN_PATH", before.c_str(), 1);
  else
    ::unsetenv("JSTIP_PLUGIN_PATH");
  const auto exe_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  const std::vector<std::string> expected = {(exe_dir / ".." / "plugins").string(),
                                             (exe_dir / ".." / "lib" / "jstip" / "plugins").string(), "/opt/a",
                                             "/opt/b"};
  EXPECT_EQ(folders, expected);
}

TEST(PluginRegistry, DuplicateNameNamesBothFiles) {
  try {
    PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR, kFixtures + "/duplicate"});
    FAIL() << "expected a duplicate-name error";
  } catch (const PluginError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("two plugins are named 'asr'"), std::string::npos) << what;
    EXPECT_NE(what.find("jstip_plugin_asr.so"), std::string::npos) << what;
    EXPECT_NE(what.find("jstip_plugin_fixture_duplicate_asr.so"), std::string::npos) << what;
  }
}

TEST(PluginRegistry, UnknownPluginSuggestsName) {
  auto registry = PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR});
  try {
    registry->find("text_ml", "interleaver");
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'text_lm'?"), std::string::npos) << e.what();
  }
  EXPECT_THROW(registry->find("asr", "encoder"), PluginError);  // wrong kind
}

TEST(PluginRegistry, PluginExceptionsNameThePlugin) {
  auto registry = PluginRegistry::scan({kFixtures + "/throwing"});
  try {
    registry->create("throwing", "interleaver", options("type: throwing\n"));
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("interleaver plugin 'throwing'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fixture refuses to start"), std::string::npos) << e.what();
  }
}

TEST(PluginRegistry, ObjectKeepsItsLibraryAlive) {
  std::shared_ptr<jstip::Interleaver> interleaver;
  {
    auto registry = PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR});
    interleaver = registry->create_as<jstip::Interleaver>("text_lm", "interleaver", options("type: text_lm\n"));
  }  // the registry (and its handles) are gone; the object's code must still be mapped
  jstip::PlanInput input;
  input.words = {{"hello", -1, -1, {5, 6}}, {"world", -1, -1, {7}}};
  input.special.bos = 1;
  input.special.eos = 2;
  std::mt19937_64 rng(0);
  jstip::Plan plan = interleaver->plan(input, rng);
  EXPECT_EQ(plan.text_tokens(), 5);  // <s> 5 6 7 </s>
  EXPECT_EQ(plan.loss_tokens(), 4);
}

// A run's log says which plugin code it used and from which file: one line
// per plugin, however many objects are made from it.
TEST(PluginRegistry, CreateLogsEachPluginOnceWithVersionAndPath) {
  std::ostringstream log;
  auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_st>(log));
  capture->set_pattern("%v");
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(capture);
  auto registry = PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR});
  registry->create("text_lm", "interleaver", options("type: text_lm\n"));
  registry->create("text_lm", "interleaver", options("type: text_lm\n"));
  spdlog::set_default_logger(previous);
  spdlog::drop("capture");
  const PluginInfo& info = registry->find("text_lm");
  EXPECT_EQ(log.str(), "plugin interleaver 'text_lm' " + info.version + " from " + info.path + "\n");
}

TEST(PluginRegistry, RefusesWorldWritablePluginFiles) {
  auto dir = std::filesystem::temp_directory_path() / "jstip_writable_plugins";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto copy = dir / "jstip_plugin_text_lm.so";
  std::filesystem::copy_file(std::string(JSTIP_BUILD_PLUGIN_DIR) + "/jstip_plugin_text_lm.so", copy);
  std::filesystem::permissions(copy, std::filesystem::perms::others_write, std::filesystem::perm_options::add);
  auto registry = PluginRegistry::scan({dir.string()});
  EXPECT_TRUE(registry->plugins().empty());
  EXPECT_NE(refusal_for(*registry, "jstip_plugin_text_lm.so").find("world-writable"), std::string::npos);
}

// A world-writable folder is refused as a whole (anyone could drop a library
// in it) unless the user says otherwise; the refusal names the folder.
TEST(PluginRegistry, RefusesWorldWritableFolderUnlessAllowed) {
  auto dir = std::filesystem::temp_directory_path() / "jstip_writable_plugin_folder";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(std::string(JSTIP_BUILD_PLUGIN_DIR) + "/jstip_plugin_text_lm.so",
                             dir / "jstip_plugin_text_lm.so");
  std::filesystem::permissions(dir, std::filesystem::perms::others_write, std::filesystem::perm_options::add);
  auto refused = PluginRegistry::scan({dir.string()});
  EXPECT_TRUE(refused->plugins().empty());
  const std::string folder = std::filesystem::canonical(dir).string();
  EXPECT_NE(refusal_for(*refused, folder).find("world-writable"), std::string::npos);
  ::setenv("JSTIP_ALLOW_WRITABLE_PLUGINS", "1", 1);
  auto allowed = PluginRegistry::scan({dir.string()});
  ::unsetenv("JSTIP_ALLOW_WRITABLE_PLUGINS");
  EXPECT_EQ(allowed->plugins().size(), 1u);
  std::filesystem::permissions(dir, std::filesystem::perms::others_write, std::filesystem::perm_options::remove);
  std::filesystem::remove_all(dir);
}

}  // namespace
