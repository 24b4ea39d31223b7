// architecture_options() against the plugins themselves: a slot built from a
// pretrained file and the same slot built from the options it gives (no file)
// have the same parameters, and with the same weights compute the same outputs
// bit for bit (so rope_theta, norm epsilons and tied embeddings came across,
// not only the shapes).
#include "host/train/pretrained_architecture.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "host/runtime/config_loader.h"
#include "host/runtime/composition.h"
#include "jstip/encoder.h"
#include "jstip/json.h"
#include "jstip/llm.h"
#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;
using train::architecture_options;

fs::path scratch(const std::string& name) {
  auto dir = fs::path(JSTIP_BINARY_DIR) / "test_scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Config options(const std::string& yaml) { return Config(host::parse_yaml(yaml, "test options"), ""); }

std::string yaml_of(const train::SlotOptions& pairs, const std::string& extra = "") {
  std::string text = extra;
  for (const auto& [key, value] : pairs) text += key + ": " + value + "\n";
  return text;
}

template <typename Slot>
std::shared_ptr<Slot> create(const std::string& plugin, const std::string& kind, const std::string& yaml) {
  static auto registry = host::registry_for(Config());
  auto slot = registry->create_as<Slot>(plugin, kind, options(yaml));
  slot->eval();
  return slot;
}

nn::TensorMap weights_of(torch::nn::Module& module) {
  nn::TensorMap tensors;
  for (const auto& p : module.named_parameters()) tensors[p.key()] = p.value().detach().clone();
  for (const auto& b : module.named_buffers()) tensors[b.key()] = b.value().detach().clone();
  return tensors;
}

std::map<std::string, std::vector<int64_t>> shapes_of(torch::nn::Module& module) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : module.named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  return shapes;
}

torch::Tensor logits(LanguageModel& llm, const std::vector<int64_t>& ids) {
  torch::NoGradGuard no_grad;
  auto tokens = torch::tensor(ids, torch::kInt64).unsqueeze(0);
  const int64_t n = tokens.size(1);
  return llm.forward_embeddings(llm.embed(tokens), torch::ones({1, n}, torch::kBool),
                                torch::arange(n, torch::kInt64).unsqueeze(0), nullptr)
      .logits;
}

// `from_file` rebuilt from architecture_options(plugin, pretrained): same parameters, same logits.
std::shared_ptr<LanguageModel> expect_same_llm(const std::string& plugin, const std::string& pretrained,
                                               const std::vector<int64_t>& ids) {
  auto from_file = create<LanguageModel>(plugin, "llm", "pretrained: " + pretrained + "\n");
  const auto architecture = architecture_options(plugin, pretrained);
  EXPECT_TRUE(architecture.has_value());
  if (!architecture) return nullptr;
  auto rebuilt = create<LanguageModel>(plugin, "llm", yaml_of(*architecture));
  EXPECT_EQ(shapes_of(*rebuilt), shapes_of(*from_file));
  nn::load_tensors(*rebuilt, weights_of(*from_file), "the pretrained slot");
  EXPECT_TRUE(torch::equal(logits(*rebuilt, ids), logits(*from_file, ids)));
  return from_file;
}

TEST(PretrainedArchitecture, LlamaFromAHuggingFaceFolder) {
  auto dir = scratch("architecture_llama_hf");
  // Every option away from its default, so a value that did not come across shows.
  const std::string sizes =
      "vocab_size: 61\nhidden_size: 48\nintermediate_size: 80\nnum_layers: 3\nnum_heads: 6\nnum_key_value_heads: 2\n"
      "rope_theta: 12345.5\nrms_norm_eps: 3.0e-5\ntie_word_embeddings: true\nattention_bias: true\n"
      "max_position_embeddings: 512\n";
  torch::manual_seed(4);
  create<LanguageModel>("llama", "llm", sizes)->save_pretrained((dir / "llm").string());
  auto from_file = expect_same_llm("llama", (dir / "llm").string(), {3, 17, 5, 60, 1, 9});
  ASSERT_TRUE(from_file);

  // The check has teeth: the same weights with the default rope_theta give other logits.
  auto architecture = *architecture_options("llama", (dir / "llm").string());
  for (auto& [key, value] : architecture)
    if (key == "rope_theta") value = "10000.0";
  auto wrong = create<LanguageModel>("llama", "llm", yaml_of(architecture));
  nn::load_tensors(*wrong, weights_of(*from_file), "the pretrained slot");
  EXPECT_FALSE(torch::equal(logits(*wrong, {3, 17, 5, 60, 1, 9}), logits(*from_file, {3, 17, 5, 60, 1, 9})));
}

TEST(PretrainedArchitecture, LlamaRopeScalingHasNoOptionsSoTheFileStaysNeeded) {
  auto dir = scratch("architecture_llama_scaling");
  create<LanguageModel>("llama", "llm", "vocab_size: 40\nhidden_size: 32\nintermediate_size: 48\nnum_layers: 1\nnum_heads: 4\n")
      ->save_pretrained((dir / "llm").string());
  Json config = read_json_file((dir / "llm" / "config.json").string());
  Json scaling = Json::object();
  scaling.set("rope_type", Json::string("llama3"));
  scaling.set("factor", Json::number(8.0));
  config.set("rope_scaling", scaling);
  write_json_file((dir / "llm" / "config.json").string(), config);
  EXPECT_FALSE(architecture_options("llama", (dir / "llm").string()).has_value());
}

TEST(PretrainedArchitecture, LlamaFromSmolLM2Gguf) {
  const std::string gguf = std::string(JSTIP_SOURCE_DIR) + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(gguf)) GTEST_SKIP() << gguf << " missing (scripts/install-deps.sh installs it)";
  expect_same_llm("llama", gguf, {1, 4093, 28, 905, 2});
}

TEST(PretrainedArchitecture, Gpt2FromAHuggingFaceFolder) {
  auto dir = scratch("architecture_gpt2_hf");
  torch::manual_seed(5);
  create<LanguageModel>("gpt2", "llm",
                        "vocab_size: 70\nhidden_size: 40\nnum_layers: 2\nnum_heads: 5\nmax_position_embeddings: 64\n"
                        "intermediate_size: 72\nlayer_norm_eps: 2.5e-5\ntie_word_embeddings: false\n")
      ->save_pretrained((dir / "llm").string());
  expect_same_llm("gpt2", (dir / "llm").string(), {0, 69, 12, 33});
}

// The whisper encoder built from `pretrained` and from the options
// architecture_options records for it; their parameter shapes must agree.
std::pair<std::shared_ptr<SpeechEncoder>, std::shared_ptr<SpeechEncoder>> whisper_both_ways(const std::string& pretrained) {
  auto from_file = create<SpeechEncoder>("whisper", "encoder", "pretrained: " + pretrained + "\n");
  const auto architecture = architecture_options("whisper", pretrained);
  if (!architecture) ADD_FAILURE() << "no architecture options for " << pretrained;
  auto rebuilt = create<SpeechEncoder>("whisper", "encoder", architecture ? yaml_of(*architecture) : "");
  EXPECT_EQ(shapes_of(*std::dynamic_pointer_cast<torch::nn::Module>(rebuilt)),
            shapes_of(*std::dynamic_pointer_cast<torch::nn::Module>(from_file)));
  return {from_file, rebuilt};
}

TEST(PretrainedArchitecture, WhisperFromAHuggingFaceFolder) {
  auto dir = scratch("architecture_whisper_hf");
  fs::create_directories(dir / "whisper");
  torch::manual_seed(6);
  auto original = create<SpeechEncoder>(
      "whisper", "encoder", "input_dim: 24\nd_model: 32\nnum_layers: 2\nnum_heads: 4\nffn_dim: 56\nmax_positions: 40\n");
  safetensors::TensorMap hf;
  for (const auto& [name, tensor] : weights_of(*std::dynamic_pointer_cast<torch::nn::Module>(original)))
    hf["model.encoder." + name] = tensor;
  safetensors::save_file((dir / "whisper" / "model.safetensors").string(), hf);
  Json config = Json::object();
  config.set("model_type", Json::string("whisper"));
  config.set("num_mel_bins", Json::integer(24));
  config.set("d_model", Json::integer(32));
  config.set("encoder_layers", Json::integer(2));
  config.set("encoder_attention_heads", Json::integer(4));
  config.set("encoder_ffn_dim", Json::integer(56));
  config.set("max_source_positions", Json::integer(40));
  write_json_file((dir / "whisper" / "config.json").string(), config);

  auto [from_file, rebuilt] = whisper_both_ways((dir / "whisper").string());
  auto& file_module = *std::dynamic_pointer_cast<torch::nn::Module>(from_file);
  auto& rebuilt_module = *std::dynamic_pointer_cast<torch::nn::Module>(rebuilt);
  nn::load_tensors(rebuilt_module, weights_of(file_module), "the pretrained slot");
  torch::NoGradGuard no_grad;
  const auto feats = torch::randn({2, 30, 24});
  const auto lengths = torch::tensor({30, 22}, torch::kInt64);
  EXPECT_TRUE(torch::equal(rebuilt->encode(feats, lengths).hidden, from_file->encode(feats, lengths).hidden));
}

TEST(PretrainedArchitecture, WhisperFromTheShippedCTranslate2Folder) {
  const std::string pretrained = std::string(JSTIP_SOURCE_DIR) + "/models/whisper-tiny.en";
  if (!fs::exists(pretrained + "/model.bin")) GTEST_SKIP() << pretrained << " missing (scripts/install-deps.sh installs it)";
  auto [from_file, rebuilt] = whisper_both_ways(pretrained);
  EXPECT_EQ(rebuilt->input_dim(), 80);
  EXPECT_EQ(rebuilt->output_dim(), 384);
}

TEST(PretrainedArchitecture, WeightsOnlyPluginsNeedNothingAndUnknownOnesKeepTheFile) {
  EXPECT_EQ(architecture_options("transformer", "/any/encoder.safetensors"), train::SlotOptions{});
  EXPECT_EQ(architecture_options("conformer", "/any/encoder.safetensors"), train::SlotOptions{});
  EXPECT_FALSE(architecture_options("my_own_llm", "/any/model").has_value());
}

}  // namespace
