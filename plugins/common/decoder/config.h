// What a decoder-only LLM is made of, as data: sizes, which norm, activation
// and position scheme, which projections carry a bias, and the names of the
// submodules. A family (plugins/llms/<name>/) fills one of these from its own
// config (config.json, GGUF metadata, plugin options); the layers in this
// folder build and run any of them.
#pragma once

#include <cstdint>
#include <string>

namespace jstip::decoder {

enum class NormKind { kRms, kLayer };     // RMSNorm (llama) or LayerNorm with bias (gpt2)
enum class PositionKind { kRotary, kLearned };  // RoPE on q/k, or a learned table added to the input

// A family's submodule names, as its checkpoints spell them: they make the
// parameter names ("model.layers.0.self_attn.q_proj.weight"), which are what
// checkpoints, exports and LoRA / freeze patterns refer to.
struct ModuleNames {
  // The stack: <root>.<embed>, <root>.<positions>, <root>.<layers>.N, <root>.<final_norm>.
  const char* root;
  const char* embed;
  const char* positions;  // the learned position table (PositionKind::kLearned only)
  const char* layers;
  const char* final_norm;
  // One layer: <attention_norm>, <attention>, <mlp_norm>, <mlp>.
  const char* attention_norm;
  const char* attention;
  const char* mlp_norm;
  const char* mlp;
  // Attention projections: one fused [q; k; v] projection when `qkv` is
  // non-empty (gpt2's c_attn), else separate q, k and v.
  const char* qkv;
  const char* q;
  const char* k;
  const char* v;
  const char* out;
  // MLP: down(act(gate(x)) * up(x)) when `gate` is non-empty, else down(act(up(x))).
  const char* gate;
  const char* up;
  const char* down;
};

// Rotary embeddings and Hugging Face's rope_scaling.
struct RotaryConfig {
  double theta = 10000.0;
  std::string type = "default";  // "default" (none), "linear" or "llama3" (Llama 3.1/3.2)
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_positions = 8192;
};

struct DecoderConfig {
  std::string family;  // prefixes error messages: "llama: ..."
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;  // < num_heads: grouped-query attention
  bool tie_word_embeddings = false;
  bool qkv_bias = false;  // bias on the q, k, v projections
  bool out_bias = false;  // bias on the attention output projection
  bool mlp_bias = false;
  NormKind norm = NormKind::kRms;
  double norm_eps = 1e-6;
  std::string activation = "silu";  // any name layers::activate knows
  PositionKind positions = PositionKind::kRotary;
  RotaryConfig rotary;        // kRotary only
  int64_t max_positions = 0;  // the learned table's size (kLearned only)
  ModuleNames names{};

  int64_t head_dim() const { return num_heads > 0 ? hidden_size / num_heads : 0; }
  // Throws std::invalid_argument "<family>: ..." naming the Hugging Face key that is off.
  void validate() const;
};

}  // namespace jstip::decoder
