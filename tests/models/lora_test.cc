// LoRA and freezing: adapters start as a no-op, training moves only them,
// merging keeps outputs, exports carry merged weights; regex freeze lists.
#include "jstip/nn/freeze.h"
#include "jstip/nn/lora_linear.h"
#include "jstip/nn/state_dict.h"
#include "llama_model.h"
#include "model_test_util.h"

using jstip::llama::kLlamaOptions;
using jstip::llama::LlamaModel;
using jstip::testing::make_config;
using jstip::testing::max_abs_diff;

namespace {

std::shared_ptr<LlamaModel> tiny_llama() {
  return std::make_shared<LlamaModel>(make_config(
      kLlamaOptions, {{"vocab_size", "23"}, {"hidden_size", "16"}, {"intermediate_size", "20"}, {"num_layers", "2"},
                      {"num_heads", "2"}}));
}

torch::Tensor logits_of(LlamaModel& model, const torch::Tensor& tokens) {
  int64_t b = tokens.size(0), t = tokens.size(1);
  return model
      .forward_embeddings(model.embed(tokens), torch::ones({b, t}, torch::kBool),
                          torch::arange(t).unsqueeze(0).expand({b, t}), nullptr)
      .logits;
}

std::map<std::string, torch::Tensor> snapshot(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

}  // namespace

// One row takes the matrix-vector path; it must give what the batched
// product gives for that row, with and without bias, and carry gradients.
TEST(Linear, OneRowMatchesTheBatchedProductAndHasGradients) {
  torch::manual_seed(7);
  auto weight = torch::randn({12, 8}, torch::requires_grad()), bias = torch::randn({12});
  auto rows = torch::randn({3, 1, 8});
  const auto batched = torch::nn::functional::linear(rows, weight, bias);
  for (int64_t r = 0; r < 3; ++r) {
    auto one = jstip::nn::linear(rows[r].unsqueeze(0), weight, bias);  // [1, 1, 8] -> [1, 1, 12]
    EXPECT_EQ(one.sizes(), (std::vector<int64_t>{1, 1, 12}));
    EXPECT_LT(max_abs_diff(one.squeeze(0), batched[r]), 1e-5);
  }
  EXPECT_LT(max_abs_diff(jstip::nn::linear(rows[0][0], weight), torch::mv(weight, rows[0][0])), 1e-6);  // no bias, [8]
  jstip::nn::linear(rows[1], weight, bias).sum().backward();
  EXPECT_LT(max_abs_diff(weight.grad(), rows[1].expand({12, 8})), 1e-6);  // d(sum W x)/dW = x per output
}

TEST(LoraLinear, StartsAsNoOpAndMergesExactly) {
  torch::manual_seed(0);
  jstip::nn::LoraLinear layer(6, 5);
  auto x = torch::randn({3, 6});
  auto before = layer(x).detach();
  layer->enable_lora(2, 4.0);
  EXPECT_LT(max_abs_diff(layer(x), before), 1e-7);
  EXPECT_FALSE(layer->weight.requires_grad());
  EXPECT_TRUE(layer->lora_a.requires_grad());
  {
    torch::NoGradGuard g;
    layer->lora_b.normal_();
  }
  auto adapted = layer(x).detach();
  EXPECT_GT(max_abs_diff(adapted, before), 1e-3);
  layer->merge_lora();
  EXPECT_FALSE(layer->lora_enabled());
  EXPECT_FALSE(layer->named_parameters().contains("lora_A"));
  EXPECT_LT(max_abs_diff(layer(x), adapted), 1e-5);
}

TEST(Lora, TrainingChangesOnlyAdaptersAndMergeKeepsOutputs) {
  torch::manual_seed(1);
  auto model = tiny_llama();
  jstip::nn::freeze_all(*model);
  auto adapted = jstip::nn::inject_lora(*model, R"(self_attn\.(q|v)_proj$)", 4, 8.0);
  EXPECT_EQ(adapted.size(), 4u);
  EXPECT_EQ(adapted[0], "model.layers.0.self_attn.q_proj");
  EXPECT_EQ(jstip::nn::trainable_parameter_count(*model), 4 * (4 * 16 + 16 * 4));

  auto before = snapshot(*model);
  std::vector<torch::Tensor> trainable;
  for (auto& p : model->parameters())
    if (p.requires_grad()) trainable.push_back(p);
  torch::optim::SGD optimizer(trainable, torch::optim::SGDOptions(0.5));
  auto tokens = torch::randint(23, {2, 6});
  for (int step = 0; step < 2; ++step) {
    optimizer.zero_grad();
    auto logits = logits_of(*model, tokens);
    auto loss = torch::nn::functional::cross_entropy(logits.reshape({-1, 23}), tokens.flatten());
    loss.backward();
    optimizer.step();
  }
  auto after = snapshot(*model);
  int changed_adapters = 0;
  for (auto& [name, value] : before) {
    bool is_adapter = name.find("lora_") != std::string::npos;
    bool changed = !torch::equal(value, after[name]);
    if (!is_adapter) EXPECT_FALSE(changed) << name;
    changed_adapters += is_adapter && changed;
  }
  EXPECT_GT(changed_adapters, 0);

  torch::NoGradGuard no_grad;
  auto adapted_logits = logits_of(*model, tokens);
  auto exported = jstip::nn::export_tensors(*model);
  for (auto& entry : exported) EXPECT_EQ(entry.first.find("lora_"), std::string::npos) << entry.first;
  EXPECT_EQ(jstip::nn::merge_lora(*model), 4);
  EXPECT_LT(max_abs_diff(logits_of(*model, tokens), adapted_logits), 1e-5);
  // The export taken before merging already held the merged weights.
  auto merged = jstip::nn::export_tensors(*model);
  EXPECT_LT(max_abs_diff(merged.at("model.layers.1.self_attn.v_proj.weight"),
                         exported.at("model.layers.1.self_attn.v_proj.weight")),
            1e-6);
}

TEST(Lora, UnmatchedTargetIsAnError) {
  auto model = tiny_llama();
  jstip::testing::expect_error_containing([&] { jstip::nn::inject_lora(*model, "no_such_layer", 2, 2.0); },
                                          "no_such_layer");
}

TEST(Freeze, RegexListsFreezeAndUnfreezeByName) {
  auto model = tiny_llama();
  EXPECT_EQ(jstip::nn::freeze_matching(*model, {R"(^model\.layers\.0\.)", "embed_tokens"}), 1 + 9);
  auto params = model->named_parameters();
  EXPECT_FALSE(params["model.layers.0.mlp.up_proj.weight"].requires_grad());
  EXPECT_TRUE(params["model.layers.1.mlp.up_proj.weight"].requires_grad());
  EXPECT_FALSE(params["model.embed_tokens.weight"].requires_grad());
  EXPECT_EQ(jstip::nn::unfreeze_matching(*model, {"layernorm"}), 4);  // 2 layers x 2 norms
  EXPECT_TRUE(params["model.layers.0.input_layernorm.weight"].requires_grad());
  EXPECT_THROW(jstip::nn::freeze_matching(*model, {"("}), std::invalid_argument);
}

TEST(Freeze, SlotTrainingOptionsFreezeThenAddLora) {
  auto model = tiny_llama();
  auto root = std::make_shared<jstip::ConfigNode>();
  root->kind = jstip::ConfigNode::Kind::Map;
  auto scalar = [](const std::string& text) {
    auto n = std::make_shared<jstip::ConfigNode>();
    n->kind = jstip::ConfigNode::Kind::Scalar;
    n->scalar = text;
    return n;
  };
  auto lora = std::make_shared<jstip::ConfigNode>();
  lora->kind = jstip::ConfigNode::Kind::Map;
  lora->fields = {{"target", scalar(R"(self_attn\.(q|v)_proj$)")}, {"rank", scalar("2")}, {"alpha", scalar("4")}};
  auto patterns = std::make_shared<jstip::ConfigNode>();
  patterns->kind = jstip::ConfigNode::Kind::List;
  patterns->items = {scalar("^model\\.norm\\.")};
  root->fields = {{"freeze", scalar("true")}, {"unfreeze_patterns", patterns}, {"lora", lora}};
  std::string summary = jstip::nn::apply_training_options(*model, jstip::Config(root, "llm"));
  EXPECT_NE(summary.find("LoRA rank 2 on 4 Linear layers"), std::string::npos) << summary;
  EXPECT_EQ(jstip::nn::trainable_parameter_count(*model), 16 + 4 * (2 * 16 + 16 * 2));
  lora->fields = {{"rank", scalar("2")}};
  jstip::testing::expect_error_containing(
      [&] { jstip::nn::apply_training_options(*model, jstip::Config(root, "llm")); }, "target");
}

TEST(Lora, WorksOnAModuleNotHeldByASharedPtr) {
  jstip::nn::LoraLinear holder(4, 3);
  jstip::nn::LoraLinearImpl& layer = *holder;  // helpers take the module itself
  EXPECT_EQ(jstip::nn::inject_lora(layer, "^$", 2, 2.0).size(), 1u);  // the root's name is ""
  EXPECT_EQ(jstip::nn::export_tensors(layer).count("weight"), 1u);
  EXPECT_EQ(jstip::nn::merge_lora(layer), 1);
}
