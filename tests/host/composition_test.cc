#include "host/runtime/composition.h"

#include <gtest/gtest.h>

#include "host/runtime/config_loader.h"
#include "jstip/encoder.h"
#include "jstip/llm.h"
#include "jstip/projector.h"

namespace {

using namespace jstip::host;

// A tiny but real graph: the in-tree plugins at toy sizes.
const char* kTinyGraph =
    "encoder: {type: transformer, input_dim: 80, d_model: 64, num_layers: 1, num_heads: 2, ffn_dim: 128}\n"
    "projector: {type: stack_linear, stack: 2}\n"
    "llm: {type: llama, vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_layers: 1, num_heads: 2}\n";

jstip::Config tiny(const std::vector<std::string>& overrides = {}) {
  auto root = parse_yaml(kTinyGraph, "tiny.yaml");
  for (const auto& o : overrides) apply_override(root, o);
  return jstip::Config(root, "");
}

std::string compose_error(const jstip::Config& config) {
  try {
    compose(config);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(Composition, ProjectorFollowsItsNeighbours) {
  Composition c = compose(tiny());
  EXPECT_EQ(c.projector->input_dim(), 64);
  EXPECT_EQ(c.projector->output_dim(), 32);
  EXPECT_EQ(c.config.get_int("projector.input_dim"), 64);  // the resolved config says so too
  EXPECT_EQ(c.config.where("projector.input_dim"), "from encoder.output_dim");
}

TEST(Composition, DimensionMismatchSaysWhichSlotToChange) {
  std::string error = compose_error(tiny({"projector.input_dim=48"}));
  EXPECT_NE(error.find("projector 'stack_linear' takes input_dim 48 but encoder 'transformer' outputs 64"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("set projector.input_dim: 64"), std::string::npos) << error;
  error = compose_error(tiny({"projector.output_dim=16"}));
  EXPECT_NE(error.find("set projector.output_dim: 32"), std::string::npos) << error;
}

TEST(Composition, SwappingTheEncoderIsOneLine) {
  Composition c = compose(tiny({"encoder.type=conformer", "encoder.input_dim=80", "encoder.d_model=48",
                                "encoder.num_layers=1", "encoder.num_heads=2", "encoder.ffn_dim=96"}));
  EXPECT_EQ(c.plugin_name("encoder"), "conformer");
  EXPECT_EQ(c.projector->input_dim(), 48);
}

TEST(Composition, UnknownSectionAndOptionAreErrorsWithSuggestions) {
  auto root = parse_yaml(std::string(kTinyGraph) + "trainr: {}\n", "typo.yaml");
  EXPECT_EQ(compose_error(jstip::Config(root, "")), "typo.yaml:4: unknown section 'trainr'; did you mean 'trainer'?");
  std::string error = compose_error(tiny({"llm.hiden_size=32"}));
  EXPECT_NE(error.find("unknown option 'llm.hiden_size' for llm 'llama'; did you mean 'hidden_size'?"),
            std::string::npos)
      << error;
}

TEST(Composition, MissingPluginIsAnError) {
  std::string error = compose_error(tiny({"encoder.type=conformerr"}));
  EXPECT_NE(error.find("no encoder plugin named 'conformerr'; did you mean 'conformer'?"), std::string::npos) << error;
  EXPECT_EQ(error.rfind("override 'encoder.type=conformerr': ", 0), 0u) << error;
  // In a file, the error names the line of the `type:` key.
  auto root = parse_yaml(
      "projector: {type: stack_linear, stack: 2}\n"
      "llm: {type: llama, vocab_size: 100, hidden_size: 32, intermediate_size: 64, num_layers: 1, num_heads: 2}\n"
      "encoder:\n"
      "  input_dim: 80\n"
      "  type: conformerr\n",
      "graph.yaml");
  error = compose_error(jstip::Config(root, ""));
  EXPECT_EQ(error.rfind("graph.yaml:5: no encoder plugin named 'conformerr'; did you mean 'conformer'?", 0), 0u)
      << error;
  // A plugin of another kind in the slot is named the same way.
  error = compose_error(tiny({"encoder.type=asr"}));
  EXPECT_EQ(error.rfind("override 'encoder.type=asr': plugin 'asr' (", 0), 0u) << error;
  EXPECT_NE(error.find("is a interleaver, not a encoder"), std::string::npos) << error;
}

// `plugin_paths:` adds folders to the search; a plugin in a folder it does
// not list is not found.
TEST(Composition, PluginPathsAddTheListedFolders) {
  const std::string throwing = std::string(JSTIP_FIXTURE_PLUGIN_DIR) + "/throwing";
  auto without = registry_for(tiny());
  EXPECT_THROW(without->find("throwing"), PluginError);
  auto with = registry_for(tiny({"plugin_paths=[" + throwing + "]"}));
  EXPECT_EQ(with->find("throwing", "interleaver").path, throwing + "/jstip_plugin_fixture_throwing.so");
}

}  // namespace
