#include "host/runtime/plugin_registry.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"
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
