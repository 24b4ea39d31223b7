// The GPT-2 family's config and its adapter to the decoder core: learned
// positions, LayerNorm, GELU (tanh) MLP, fused q/k/v, biases everywhere.
#pragma once

#include <cstdint>
#include <string>

#include "decoder/config.h"
#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip::gpt2 {

struct Gpt2Config {
  int64_t vocab_size = 50257;
  int64_t hidden_size = 768;       // n_embd
  int64_t num_layers = 12;         // n_layer
  int64_t num_heads = 12;          // n_head
  int64_t max_positions = 1024;    // n_positions
  int64_t intermediate_size = 0;   // n_inner; 0 = 4 * hidden_size
  double layer_norm_eps = 1e-5;
  bool tie_word_embeddings = true;

  int64_t inner() const { return intermediate_size > 0 ? intermediate_size : 4 * hidden_size; }
  void validate() const;
};

// What the decoder core builds for `config`.
decoder::DecoderConfig to_decoder_config(const Gpt2Config& config);

// From the plugin options (kGpt2Options).
Gpt2Config config_from_options(const Config& options);
// config.json <-> Gpt2Config (HF key names); errors name the file.
Gpt2Config config_from_hf(const std::string& config_json_path);
Json config_to_hf(const Gpt2Config& config);

}  // namespace jstip::gpt2
