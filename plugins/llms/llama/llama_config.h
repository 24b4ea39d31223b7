// The llama family's config (Llama 2/3-style, Qwen2 with QKV bias) and its
// adapter to the decoder core: RMSNorm, rotary positions with Hugging Face's
// rope_scaling, grouped-query attention, SwiGLU MLP, HF submodule names.
#pragma once

#include <cstdint>
#include <string>

#include "decoder/config.h"
#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip::llama {

struct LlamaConfig {
  std::string model_type = "llama";  // "llama" or "qwen2" (written to config.json)
  int64_t vocab_size = 32000;
  int64_t hidden_size = 512;
  int64_t intermediate_size = 1408;
  int64_t num_layers = 8;
  int64_t num_heads = 8;
  int64_t num_kv_heads = 8;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  int64_t max_position_embeddings = 4096;
  // HF rope_scaling: "default" (none), "linear" or "llama3" (Llama 3.1/3.2).
  std::string rope_type = "default";
  double rope_factor = 1.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 4.0;
  int64_t rope_original_max_positions = 8192;

  int64_t head_dim() const { return hidden_size / num_heads; }
  void validate() const;  // throws std::invalid_argument naming the option
};

// What the decoder core builds for `config`.
decoder::DecoderConfig to_decoder_config(const LlamaConfig& config);
decoder::RotaryConfig rotary_config(const LlamaConfig& config);

// From the plugin options (kLlamaOptions).
LlamaConfig config_from_options(const Config& options);
// config.json <-> LlamaConfig (HF key names); errors name the file.
LlamaConfig config_from_hf(const std::string& config_json_path);
Json config_to_hf(const LlamaConfig& config, const std::string& torch_dtype);
// A GGUF file's llama.* / qwen2.* metadata -> LlamaConfig (llama_gguf.cc).
LlamaConfig config_from_gguf(const std::string& gguf_path);

}  // namespace jstip::llama
