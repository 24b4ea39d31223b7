#include "host/runtime/config_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

using jstip::Config;
using jstip::ConfigError;
using namespace jstip::host;

std::string write_file(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / "jstip_config_test";
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigLoader, LaterFilesWinKeyByKey) {
  auto base = write_file("base.yaml", "encoder:\n  type: conformer\n  d_model: 256\n  num_layers: 4\nseed: 1\n");
  auto small = write_file("small.yaml", "encoder:\n  num_layers: 2\nseed: 7\n");
  Config config = load_config({base, small}, {});
  EXPECT_EQ(config.get_int("encoder.d_model"), 256);
  EXPECT_EQ(config.get_int("encoder.num_layers"), 2);
  EXPECT_EQ(config.get_int("seed"), 7);
  EXPECT_EQ(config.where("encoder.num_layers"), small + ":2");
  EXPECT_EQ(config.where("encoder.d_model"), base + ":3");
}

TEST(ConfigLoader, ChangingTypeDropsTheOldPluginsOptions) {
  auto base = write_file("base2.yaml", "encoder:\n  type: conformer\n  conv_kernel: 15\n");
  auto swap = write_file("swap.yaml", "encoder:\n  type: transformer\n");
  Config config = load_config({base, swap}, {});
  EXPECT_EQ(config.get_string("encoder.type"), "transformer");
  EXPECT_FALSE(config.has("encoder.conv_kernel"));
  Config overridden = load_config({base}, {"encoder.type=transformer", "encoder.d_model=128"});
  EXPECT_FALSE(overridden.has("encoder.conv_kernel"));
  EXPECT_EQ(overridden.get_int("encoder.d_model"), 128);
}

TEST(ConfigLoader, BaseFilesMergeUnderTheFile) {
  write_file("common.yaml", "encoder:\n  type: conformer\n  d_model: 256\nseed: 1\n");
  auto variant = write_file("variant.yaml", "base: common.yaml\nencoder:\n  num_layers: 2\nseed: 9\n");
  Config config = load_config({variant}, {});
  EXPECT_EQ(config.get_int("encoder.d_model"), 256);
  EXPECT_EQ(config.get_int("encoder.num_layers"), 2);
  EXPECT_EQ(config.get_int("seed"), 9);
  EXPECT_FALSE(config.has("base"));
  auto loop = write_file("loop.yaml", "base: loop.yaml\n");
  EXPECT_THROW(load_config({loop}, {}), ConfigError);
}

TEST(ConfigLoader, OverridesApplyInOrderAndParseYaml) {
  auto base = write_file("base3.yaml", "trainer:\n  lr: 0.001\n");
  Config config = load_config({base}, {"trainer.lr=0.01", "trainer.stages=[1,2,3]", "new.deep.key=x", "trainer.lr=0.5"});
  EXPECT_DOUBLE_EQ(config.get_double("trainer.lr"), 0.5);
  EXPECT_EQ(config.get_int_list("trainer.stages"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(config.get_string("new.deep.key"), "x");
  EXPECT_EQ(config.where("trainer.lr"), "override 'trainer.lr=0.5'");
}

TEST(ConfigLoader, MalformedYamlNamesFileAndLine) {
  auto bad = write_file("bad.yaml", "encoder:\n  type: conformer\n  d_model: [1, 2\n");
  try {
    load_config({bad}, {});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    // yaml-cpp notices the unclosed flow sequence at the end of the text: line 4, column 1.
    EXPECT_EQ(std::string(e.what()).rfind(bad + ":4:1: malformed YAML: ", 0), 0u) << e.what();
  }
  auto mid = write_file("bad_mid.yaml", "encoder:\n  type: conformer\n d_model: 4\nseed: 1\n");
  try {
    load_config({mid}, {});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    // A key indented less than its siblings: the error points at it.
    EXPECT_EQ(std::string(e.what()).rfind(mid + ":3:2: malformed YAML: ", 0), 0u) << e.what();
  }
}

TEST(ConfigLoader, MalformedYamlInAnOverrideNamesTheOverride) {
  auto base = write_file("base5.yaml", "encoder:\n  d_model: 4\n");
  try {
    load_config({base}, {"seed=1", "encoder.d_model=[1, 2"});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("override 'encoder.d_model=[1, 2': value is not valid YAML: ", 0), 0u)
        << e.what();
  }
}

TEST(ConfigLoader, DuplicateKeyIsAnError) {
  EXPECT_THROW(parse_yaml("a: 1\na: 2\n", "dup.yaml"), ConfigError);
}

TEST(ConfigLoader, MissingFileAndBadOverrideAreErrors) {
  EXPECT_THROW(load_config({"/nonexistent/x.yaml"}, {}), ConfigError);
  EXPECT_THROW(load_config({}, {"=3"}), ConfigError);
  auto base = write_file("base4.yaml", "seed: 3\n");
  EXPECT_THROW(load_config({base}, {"seed.inner=3"}), ConfigError);  // seed is not a map
}

TEST(ConfigLoader, TypedGettersReportExpectedType) {
  Config config(parse_yaml("n: abc\nlist: [1, x]\n", "t.yaml"), "");
  try {
    config.get_int("n");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "t.yaml:1: key 'n': expected an integer, got 'abc'");
  }
  EXPECT_THROW(config.get_int_list("list"), ConfigError);
  EXPECT_THROW(config.get_int("absent"), ConfigError);
  EXPECT_EQ(config.get_int("absent", 5), 5);
}

TEST(ConfigLoader, DumpRoundTrips) {
  auto root = parse_yaml("a:\n  b: 1\n  c: [x, y]\nd: text\n", "r.yaml");
  Config again(parse_yaml(dump_yaml(root), "dump"), "");
  EXPECT_EQ(again.get_int("a.b"), 1);
  EXPECT_EQ(again.get_string_list("a.c"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(again.get_string("d"), "text");
}

TEST(ConfigLoader, ClosestMatchSuggestsTypos) {
  EXPECT_EQ(closest_match("d_modle", {"d_model", "num_layers"}), "d_model");
  EXPECT_EQ(closest_match("zzzzzz", {"d_model", "num_layers"}), "");
}

}  // namespace
