#include "host/runtime/option_schema.h"

#include <gtest/gtest.h>

#include "host/runtime/config_loader.h"
#include "jstip/options.h"

namespace {

using namespace jstip::host;

PluginInfo fake_plugin() {
  PluginInfo info;
  info.name = "conformer";
  info.kind = "encoder";
  info.options = {{"d_model", JSTIP_OPT_INT, false, "256", "width"},
                  {"dropout", JSTIP_OPT_FLOAT, false, "0.1", "dropout"},
                  {"use_ctc", JSTIP_OPT_BOOL, false, "false", "ctc head"},
                  {"kernels", JSTIP_OPT_INT_LIST, false, "[3, 5]", "kernels"},
                  {"name", JSTIP_OPT_STRING, false, "\"\"", "a name"},
                  {"input_dim", JSTIP_OPT_INT, true, "", "feature bins"}};
  return info;
}

jstip::Config slot(const std::string& yaml) {
  return jstip::Config(parse_yaml(yaml, "slot.yaml")->find("encoder"), "encoder");
}

std::string error_of(const std::string& yaml) {
  try {
    validate_options(fake_plugin(), slot(yaml));
  } catch (const jstip::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(OptionSchema, FillsDefaults) {
  auto resolved = validate_options(fake_plugin(), slot("encoder:\n  type: conformer\n  input_dim: 80\n"));
  EXPECT_EQ(resolved.get_int("d_model"), 256);
  EXPECT_DOUBLE_EQ(resolved.get_double("dropout"), 0.1);
  EXPECT_FALSE(resolved.get_bool("use_ctc"));
  EXPECT_EQ(resolved.get_int_list("kernels"), (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(resolved.get_string("name"), "");
  EXPECT_EQ(resolved.get_int("input_dim"), 80);
}

TEST(OptionSchema, UnknownKeySuggestsClosest) {
  EXPECT_EQ(error_of("encoder:\n  type: conformer\n  input_dim: 80\n  d_modle: 3\n"),
            "slot.yaml:4: unknown option 'encoder.d_modle' for encoder 'conformer'; did you mean 'd_model'? "
            "(`jstip plugins describe conformer` lists its options)");
}

TEST(OptionSchema, WrongTypeNamesKeyAndExpectation) {
  EXPECT_EQ(error_of("encoder:\n  type: conformer\n  input_dim: 80\n  d_model: wide\n"),
            "slot.yaml:4: option 'encoder.d_model' expects an int, got 'wide'");
  EXPECT_EQ(error_of("encoder:\n  type: conformer\n  input_dim: 80\n  kernels: [3, x]\n"),
            "slot.yaml:4: option 'encoder.kernels' expects an int list, got a list");
  EXPECT_EQ(error_of("encoder:\n  type: conformer\n  input_dim: 80\n  use_ctc: maybe\n"),
            "slot.yaml:4: option 'encoder.use_ctc' expects a bool, got 'maybe'");
}

TEST(OptionSchema, MissingRequiredKey) {
  EXPECT_EQ(error_of("encoder:\n  type: conformer\n"),
            "slot.yaml:2: encoder 'conformer' needs option 'encoder.input_dim' (feature bins)");
}

}  // namespace
