// The `gpt2` LLM plugin: GPT-2 decoder (learned positions, LayerNorm, GELU)
// on the decoder core, Hugging Face config.json + safetensors import/export
// (Conv1D weights transposed).
#pragma once

#include "decoder/decoder_model.h"
#include "gpt2_config.h"
#include "jstip/config.h"
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

class Gpt2Model : public decoder::DecoderModel {
 public:
  explicit Gpt2Model(const Config& options);
  explicit Gpt2Model(const Gpt2Config& config);

  void load_pretrained(const std::string& directory) override;
  void save_pretrained(const std::string& directory) override;

  const Gpt2Config& config() const { return config_; }
  // HF Conv1D weights (stored [in, out]): attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj.
  static bool is_conv1d_weight(const std::string& name);

 private:
  Gpt2Config config_;
};

}  // namespace jstip::gpt2
