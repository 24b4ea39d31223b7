#include "decoder/config.h"

#include <stdexcept>

namespace jstip::decoder {

void DecoderConfig::validate() const {
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(family + ": " + what);
  };
  const ModuleNames& n = names;
  for (const char* name : {n.root, n.embed, n.positions, n.layers, n.final_norm, n.attention_norm, n.attention,
                           n.mlp_norm, n.mlp, n.qkv, n.q, n.k, n.v, n.out, n.gate, n.up, n.down})
    require(name != nullptr, "a submodule name is unset (ModuleNames needs every field, \"\" where unused)");
  require(vocab_size > 0, "vocab_size must be positive");
  require(hidden_size > 0 && num_heads > 0 && hidden_size % num_heads == 0,
          "hidden_size " + std::to_string(hidden_size) + " must be divisible by num_heads " + std::to_string(num_heads));
  require(num_kv_heads > 0 && num_heads % num_kv_heads == 0,
          "num_heads " + std::to_string(num_heads) + " must be a multiple of num_key_value_heads " +
              std::to_string(num_kv_heads));
  require(intermediate_size > 0, "intermediate_size must be positive");
  require(num_layers >= 0, "num_layers must not be negative");
  require(norm_eps >= 0, "the norm epsilon must not be negative");
  if (positions == PositionKind::kLearned) {
    require(max_positions > 0, "max_position_embeddings must be positive");
    return;
  }
  require(head_dim() % 2 == 0, "head dimension (hidden_size / num_heads) must be even for rotary embeddings");
  require(rotary.theta > 0, "rope_theta must be positive");
  require(rotary.type == "default" || rotary.type == "linear" || rotary.type == "llama3",
          "rope_scaling type '" + rotary.type + "' is not supported (linear, llama3)");
  require(rotary.factor > 0, "rope_scaling factor must be positive");
  require(rotary.type != "llama3" || rotary.high_freq_factor > rotary.low_freq_factor,
          "rope_scaling high_freq_factor must exceed low_freq_factor");
}

}  // namespace jstip::decoder
