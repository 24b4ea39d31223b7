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

// A key is a name: a longer one would dump past YAML's 1024-character limit on
// implicit keys (the fuzzer's finding: a 1,400-byte override key whose dump
// did not load), and a control character is no name. Both are refused where
// they enter, naming the file:line or the override.
TEST(ConfigLoader, KeysAreBoundedPrintableNames) {
  const std::string long_key(300, 'k');
  try {
    load_config({}, {"encoder." + long_key + "=1"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("override 'encoder.kkk", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find("a key of 300 bytes"), std::string::npos) << e.what();
  }
  auto file = write_file("long_key.yaml", "encoder:\n  \"" + long_key + "\": 1\n");
  try {
    load_config({file}, {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(file + ":2: a key of 300 bytes", 0), 0u) << e.what();
  }
  try {
    parse_yaml("encoder:\n  \"d_mo\\x01del\": 1\n", "ctl.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "ctl.yaml:2: key 'd_mo...' holds control character 0x01 at byte 4 (a key is a printable name)");
  }
  EXPECT_THROW(load_config({}, {std::string("a.b\tc=1")}), ConfigError);
  EXPECT_THROW(parse_yaml("? [a, b]\n: 1\n", "listkey.yaml"), ConfigError);
  // The longest key allowed, made of the characters a dump must escape, still round-trips.
  const std::string quoted_key(256, '"');
  auto root = parse_yaml("'" + quoted_key + "': 1\n", "q.yaml");
  EXPECT_EQ(dump_yaml(parse_yaml(dump_yaml(root), "dump")), dump_yaml(root));
  EXPECT_EQ(parse_yaml(dump_yaml(root), "dump")->fields.at(0).first, quoted_key);
}

// yaml-cpp writes some strings plain that read back as something else: a key
// or value starting with a document marker (the fuzzer's finding: "--- x"
// dumped as `--- x: 1`, which does not load), "~" (null). The dump quotes them.
TEST(ConfigLoader, DumpQuotesWhatWouldNotReadBackAsItself) {
  auto root = parse_yaml("'--- num_heads': '--- 4'\ntilde: '~'\nlist: ['--- a', '~', '...']\nplain: text\n", "m.yaml");
  const std::string dumped = dump_yaml(root);
  Config again(parse_yaml(dumped, "dump"), "");
  EXPECT_EQ(again.get_string("--- num_heads"), "--- 4") << dumped;
  EXPECT_EQ(again.get_string("tilde"), "~") << dumped;
  EXPECT_EQ(again.get_string_list("list"), (std::vector<std::string>{"--- a", "~", "..."})) << dumped;
  EXPECT_NE(dumped.find("plain: text\n"), std::string::npos) << "plain strings stay plain:\n" << dumped;
  EXPECT_EQ(dump_yaml(parse_yaml(dumped, "dump")), dumped);
}

// yaml-cpp reads bytes that are not UTF-8 but writes them back as U+FFFD, so a
// checkpoint's dump would not be the config it trained with (the fuzzer's
// finding); YAML is Unicode text, and the loader says where it is not.
TEST(ConfigLoader, TextThatIsNotUtf8IsRefusedWithItsPlace) {
  try {
    parse_yaml("encoder:\n  name: caf\xe9\n", "latin1.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "latin1.yaml:2:12: not UTF-8 text (byte 20 is 0xe9)");
  }
  EXPECT_THROW(load_config({}, {"encoder.name=caf\xe9"}), ConfigError);
  try {  // yaml-cpp read a raw NUL in a key as 0xA0
    parse_yaml(std::string("llm:\n  hidden\0_size: 64\n", 24), "nul.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "nul.yaml:2:9: a control character (byte 13 is 0x00)");
  }
  EXPECT_THROW(parse_yaml("name: \"\\ud800\"\n", "surrogate.yaml"), ConfigError);
  EXPECT_THROW(parse_yaml("n: \r\r1000\r\n", "lone_cr.yaml"), ConfigError);  // read back without its last CR
  EXPECT_EQ(Config(parse_yaml("a: 1\r\nb: x\r\n", "crlf.yaml"), "").get_string("b"), "x");
  Config fine(parse_yaml("encoder:\n  name: caf\xc3\xa9\n", "utf8.yaml"), "");
  EXPECT_EQ(fine.get_string("encoder.name"), "caf\xc3\xa9");
}

TEST(ConfigLoader, ClosestMatchSuggestsTypos) {
  EXPECT_EQ(closest_match("d_modle", {"d_model", "num_layers"}), "d_model");
  EXPECT_EQ(closest_match("zzzzzz", {"d_model", "num_layers"}), "");
}

}  // namespace
