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
}

}  // namespace
