// The `llama` LLM plugin: Llama-family decoder (Llama 2/3-style, Qwen2 with
// QKV bias) on the decoder core, Hugging Face config.json + safetensors
// import/export and llama.cpp GGUF import.
#pragma once

#include "decoder/decoder_model.h"
#include "jstip/config.h"
#include "jstip/options.h"
#include "llama_config.h"

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

class LlamaModel : public decoder::DecoderModel {
 public:
  explicit LlamaModel(const Config& options);
  explicit LlamaModel(const LlamaConfig& config);

  // A Hugging Face folder or a .gguf file.
  void load_pretrained(const std::string& path) override;
  void save_pretrained(const std::string& directory) override;

  const LlamaConfig& config() const { return config_; }

 private:
  void load_gguf(const std::string& path);  // llama_gguf.cc
  LlamaConfig config_;
};

}  // namespace jstip::llama
