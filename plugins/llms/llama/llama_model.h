// The `llama` LLM plugin: Llama-family decoder (Llama 2/3-style, Qwen2 with
// QKV bias), Hugging Face config.json + safetensors import/export.
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>

#include "jstip/config.h"
#include "jstip/json.h"
#include "jstip/llm.h"
#include "jstip/options.h"
#include "llama_layers.h"

namespace jstip::llama {

inline constexpr jstip_option_desc kLlamaOptions[] = {
    {"pretrained", JSTIP_OPT_STRING, "\"\"",
     "Hugging Face model directory (config.json + safetensors) or a llama.cpp .gguf file (sizes from its metadata; quantized tensors dequantized); overrides the size options"},
    {"model_type", JSTIP_OPT_STRING, "llama", "llama or qwen2 (the model_type written to config.json)"},
    {"vocab_size", JSTIP_OPT_INT, "32000", "vocabulary size"},
    {"hidden_size", JSTIP_OPT_INT, "512", "model width"},
    {"intermediate_size", JSTIP_OPT_INT, "1408", "SwiGLU inner width"},
    {"num_layers", JSTIP_OPT_INT, "8", "decoder layers (HF num_hidden_layers)"},
    {"num_heads", JSTIP_OPT_INT, "8", "attention heads (HF num_attention_heads)"},
    {"num_key_value_heads", JSTIP_OPT_INT, "0", "key/value heads for grouped-query attention; 0 = num_heads"},
    {"rope_theta", JSTIP_OPT_FLOAT, "10000.0", "rotary embedding base"},
    {"rms_norm_eps", JSTIP_OPT_FLOAT, "1e-6", "RMSNorm epsilon"},
    {"tie_word_embeddings", JSTIP_OPT_BOOL, "false", "share the input embedding with the output layer"},
    {"attention_bias", JSTIP_OPT_BOOL, "false", "bias on q/k/v projections (true for Qwen2)"},
    {"max_position_embeddings", JSTIP_OPT_INT, "4096", "longest sequence the model is meant for (config.json)"},
    {"dtype", JSTIP_OPT_STRING, "float32", "parameter dtype: float32, bfloat16 or float16 (checkpoints of any of them load)"},
};

class LlamaBackboneImpl : public torch::nn::Module {
 public:
  explicit LlamaBackboneImpl(const LlamaConfig& config);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RMSNorm norm{nullptr};
  std::vector<LlamaDecoderLayer> layer_list;  // typed view of `layers`
};
TORCH_MODULE(LlamaBackbone);

class LlamaModel : public LanguageModel {
 public:
  explicit LlamaModel(const Config& options);
  explicit LlamaModel(const LlamaConfig& config);

  LMOutput forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                              const torch::Tensor& positions, KVCache* cache) override;
  torch::Tensor embed(const torch::Tensor& tokens) override;
  int64_t hidden_size() const override { return config_.hidden_size; }
  int64_t vocab_size() const override { return config_.vocab_size; }
  void load_pretrained(const std::string& directory) override;
  void save_pretrained(const std::string& directory) override;

  const LlamaConfig& config() const { return config_; }

  // config.json <-> LlamaConfig (HF key names).
  static LlamaConfig config_from_hf(const std::string& config_json_path);
  // A GGUF file's llama.* / qwen2.* metadata -> LlamaConfig (llama_gguf.cc).
  static LlamaConfig config_from_gguf(const std::string& gguf_path);
  static Json config_to_hf(const LlamaConfig& config, const std::string& torch_dtype);

  LlamaBackbone model{nullptr};          // "model.*"
  jstip::nn::LoraLinear lm_head{nullptr};  // "lm_head.*"; null when tied

 private:
  void build();
  void load_gguf(const std::string& path);  // llama_gguf.cc
  void init_weights();
  LlamaConfig config_;
  torch::Tensor inv_freq_;  // rotary inverse frequencies, cached (not a buffer: checkpoints stay as they are)
};

}  // namespace jstip::llama
