#include "host/compare/train_budget.h"

#include <gtest/gtest.h>

#include "host/runtime/config_loader.h"

namespace jstip::compare {
namespace {

TEST(TrainBudget, ScalesStagesProportionally) {
  EXPECT_EQ(scale_stage_steps({600}, 20), std::vector<int64_t>({20}));
  EXPECT_EQ(scale_stage_steps({200, 100}, 30), std::vector<int64_t>({20, 10}));
  EXPECT_EQ(scale_stage_steps({200, 100}, 31), std::vector<int64_t>({20, 11}));  // remainder to the last
  EXPECT_EQ(scale_stage_steps({1000, 1, 1}, 3), std::vector<int64_t>({1, 1, 1}));  // at least one each
  EXPECT_EQ(scale_stage_steps({1, 1000}, 10), std::vector<int64_t>({1, 9}));
  EXPECT_THROW(scale_stage_steps({10, 10}, 1), std::invalid_argument);
}

TEST(TrainBudget, StagesOverrideKeepsOtherStageKeys) {
  auto root = host::parse_yaml(
      "trainer:\n"
      "  lr: 1.0e-3\n"
      "  stages:\n"
      "    - {name: pretrain, steps: 200, sources: {pairs: 1.0}}\n"
      "    - {name: finetune, steps: 100, lr: 3.0e-4, freeze: {encoder: true}}\n",
      "test.yaml");
  const Config config(root, "");
  EXPECT_EQ(total_steps(config), 300);
  const std::string override_text = stages_override(config, 30);
  EXPECT_EQ(override_text,
            "trainer.stages=[{name: pretrain, steps: 20, sources: {pairs: 1.0}}, "
            "{name: finetune, steps: 10, lr: 3.0e-4, freeze: {encoder: true}}]");
  host::apply_override(root, override_text);
  EXPECT_EQ(total_steps(Config(root, "")), 30);
  EXPECT_EQ(Config(root, "").list("trainer.stages")[1].get_double("lr"), 3.0e-4);
}

TEST(TrainBudget, MissingStagesNameTheKey) {
  const Config config(host::parse_yaml("trainer: {lr: 1.0}\n", "x.yaml"), "");
  try {
    total_steps(config);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("trainer.stages must be a list"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jstip::compare
