// The `gpt2` LLM plugin: GPT-2 decoder (learned positions, LayerNorm, GELU),
// Hugging Face config.json + safetensors import/export.
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

#include "gpt2_layers.h"
#include "jstip/config.h"
#include "jstip/json.h"
#include "jstip/llm.h"
#include "jstip/options.h"

namespace jstip::gpt2 {

inline constexpr jstip_option_desc kGpt2Options[] = {
    {"pretrained", JSTIP_OPT_STRING, "\"\"",
     "Hugging Face model directory (config.json + safetensors); its config overrides the size options"},
    {"vocab_size", JSTIP_OPT_INT, "50257", "vocabulary size"},
    {"hidden_size", JSTIP_OPT_INT, "768", "model width (HF n_embd)"},
    {"num_layers", JSTIP_OPT_INT, "12", "decoder layers (HF n_layer)"},
    {"num_heads", JSTIP_OPT_INT, "12", "attention heads (HF n_head)"},
    {"max_position_embeddings", JSTIP_OPT_INT, "1024", "learned positions (HF n_positions)"},
    {"intermediate_size", JSTIP_OPT_INT, "0", "MLP inner width (HF n_inner); 0 = 4 * hidden_size"},
    {"layer_norm_eps", JSTIP_OPT_FLOAT, "1e-5", "LayerNorm epsilon"},
    {"tie_word_embeddings", JSTIP_OPT_BOOL, "true", "output layer shares the token embedding (as in GPT-2)"},
    {"dtype", JSTIP_OPT_STRING, "float32", "parameter dtype: float32, bfloat16 or float16 (checkpoints of any of them load)"},
};

class Gpt2BackboneImpl : public torch::nn::Module {
 public:
  explicit Gpt2BackboneImpl(const Gpt2Config& config);
  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
  std::vector<Gpt2Block> blocks;  // typed view of `h`
};
TORCH_MODULE(Gpt2Backbone);

class Gpt2Model : public LanguageModel {
 public:
  explicit Gpt2Model(const Config& options);
  explicit Gpt2Model(const Gpt2Config& config);

  LMOutput forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                              const torch::Tensor& positions, KVCache* cache) override;
  torch::Tensor embed(const torch::Tensor& tokens) override;  // token embedding only; positions are added in forward
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  void load_pretrained(const std::string& directory) override;
  void save_pretrained(const std::string& directory) override;

  const Gpt2Config& config() const { return config_; }
  static Gpt2Config config_from_hf(const std::string& config_json_path);
  static Json config_to_hf(const Gpt2Config& config);
  // HF Conv1D weights (stored [in, out]): attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj.
  static bool is_conv1d_weight(const std::string& name);

  Gpt2Backbone transformer{nullptr};       // "transformer.*"
  jstip::nn::LoraLinear lm_head{nullptr};  // only when not tied

 private:
  void build();
  Gpt2Config config_;
};

}  // namespace jstip::gpt2
