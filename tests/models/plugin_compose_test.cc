// The built plugins loaded through the host: a config that swaps
// conformer <-> transformer and llama <-> gpt2 (and the projectors) composes
// and runs one training step with no code change.
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/encoder.h"
#include "jstip/llm.h"
#include "jstip/nn/freeze.h"
#include "jstip/projector.h"
#include "model_test_util.h"

namespace {

struct Slots {
  std::string encoder, projector, llm;
};

void PrintTo(const Slots& s, std::ostream* os) { *os << s.encoder << "_" << s.projector << "_" << s.llm; }

std::string yaml_for(const Slots& s) {
  std::string encoder = "encoder: {type: " + s.encoder +
                        ", input_dim: 12, d_model: 16, num_layers: 1, num_heads: 2, ffn_dim: 32, dropout: 0.0}\n";
  std::string projector = "projector: {type: " + s.projector + "}\n";
  if (s.projector == "stack_linear") projector = "projector: {type: stack_linear, stack: 2, hidden_dim: 16}\n";
  if (s.projector == "qformer") projector = "projector: {type: qformer, num_queries: 4, d_model: 16, num_heads: 2, ffn_dim: 16}\n";
  std::string llm = "llm: {type: " + s.llm + ", vocab_size: 31, hidden_size: 16, num_layers: 1, num_heads: 2}\n";
  return encoder + projector + llm;
}

class PluginCompose : public ::testing::TestWithParam<Slots> {};

}  // namespace

TEST_P(PluginCompose, ComposesAndRunsOneTrainingStep) {
  torch::manual_seed(0);
  auto config = jstip::Config(jstip::host::parse_yaml(yaml_for(GetParam()), "swap.yaml"), "");
  auto c = jstip::host::compose(config);
  ASSERT_TRUE(c.encoder && c.projector && c.llm);
  EXPECT_EQ(c.projector->input_dim(), 16);  // filled from the encoder
  EXPECT_EQ(c.projector->output_dim(), 16);  // filled from the llm

  auto feats = torch::randn({2, 40, 12});
  auto feat_lengths = torch::tensor({40, 29}, torch::kInt64);
  auto text = torch::randint(31, {2, 5});
  std::vector<torch::Tensor> params;
  for (auto* m : std::vector<torch::nn::Module*>{c.encoder.get(), c.projector.get(), c.llm.get()})
    for (auto& p : m->parameters()) params.push_back(p);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(1e-3));

  auto enc = c.encoder->encode(feats, feat_lengths);
  auto proj = c.projector->project(enc.hidden, enc.lengths);
  int64_t speech = proj.embeddings.size(1);
  auto speech_mask = torch::arange(speech).unsqueeze(0) < proj.lengths.unsqueeze(1);
  auto inputs = torch::cat({proj.embeddings, c.llm->embed(text)}, 1);
  auto key_mask = torch::cat({speech_mask, torch::ones({2, 5}, torch::kBool)}, 1);
  auto positions = (key_mask.to(torch::kInt64).cumsum(1) - 1).clamp_min(0);
  auto logits = c.llm->forward_embeddings(inputs, key_mask, positions, nullptr).logits;
  // Predict text token i from the slot before it.
  auto predicted = logits.narrow(1, speech - 1, 5).reshape({-1, 31});
  auto loss = torch::nn::functional::cross_entropy(predicted, text.flatten());
  ASSERT_TRUE(std::isfinite(loss.item<double>()));
  auto before = c.encoder->parameters().front().detach().clone();
  optimizer.zero_grad();
  loss.backward();
  optimizer.step();
  EXPECT_FALSE(torch::equal(before, c.encoder->parameters().front()));
  for (auto* m : std::vector<torch::nn::Module*>{c.encoder.get(), c.projector.get(), c.llm.get()})
    for (auto& p : m->named_parameters())
      EXPECT_TRUE(torch::isfinite(p.value()).all().item<bool>()) << p.key();
}

INSTANTIATE_TEST_SUITE_P(Swaps, PluginCompose,
                         ::testing::Values(Slots{"conformer", "stack_linear", "llama"},
                                           Slots{"transformer", "stack_linear", "llama"},
                                           Slots{"conformer", "conv1d", "gpt2"},
                                           Slots{"transformer", "qformer", "gpt2"},
                                           Slots{"whisper", "conv1d", "llama"}),
                         [](const auto& info) {
                           return info.param.encoder + "_" + info.param.projector + "_" + info.param.llm;
                         });

TEST(PluginCompose, LoraFindsTheLinearsOfALoadedPlugin) {
  // LoraLinear's typeinfo lives in libjstip_sdk, so dynamic_cast works across the .so boundary.
  auto config = jstip::Config(jstip::host::parse_yaml(yaml_for({"conformer", "stack_linear", "gpt2"}), "lora.yaml"), "");
  auto c = jstip::host::compose(config);
  jstip::nn::freeze_all(*c.llm);
  auto adapted = jstip::nn::inject_lora(*c.llm, R"(attn\.c_attn$)", 2, 4.0);
  EXPECT_EQ(adapted.size(), 1u);
  EXPECT_EQ(adapted[0], "transformer.h.0.attn.c_attn");
  EXPECT_EQ(jstip::nn::inject_lora(*c.encoder, R"(self_attn\.(q|v)_proj$)", 2, 4.0).size(), 2u);
}
