#include "gpt2_config.h"

#include <stdexcept>

#include "gpt2_names.h"

namespace jstip::gpt2 {

decoder::DecoderConfig to_decoder_config(const Gpt2Config& c) {
  decoder::DecoderConfig d;
  d.family = "gpt2";
  d.vocab_size = c.vocab_size;
  d.hidden_size = c.hidden_size;
  d.intermediate_size = c.inner();
  d.num_layers = c.num_layers;
  d.num_heads = c.num_heads;
  d.num_kv_heads = c.num_heads;
  d.tie_word_embeddings = c.tie_word_embeddings;
  d.qkv_bias = d.out_bias = d.mlp_bias = true;
  d.norm = decoder::NormKind::kLayer;
  d.norm_eps = c.layer_norm_eps;
  d.activation = "gelu_tanh";  // HF's gelu_new
  d.positions = decoder::PositionKind::kLearned;
  d.max_positions = c.max_positions;
  d.names = kGpt2Modules;
  return d;
}

void Gpt2Config::validate() const { to_decoder_config(*this).validate(); }

Gpt2Config config_from_options(const Config& o) {
  Gpt2Config c;
  c.vocab_size = o.get_int("vocab_size", c.vocab_size);
  c.hidden_size = o.get_int("hidden_size", c.hidden_size);
  c.num_layers = o.get_int("num_layers", c.num_layers);
  c.num_heads = o.get_int("num_heads", c.num_heads);
  c.max_positions = o.get_int("max_position_embeddings", c.max_positions);
  c.intermediate_size = o.get_int("intermediate_size", c.intermediate_size);
  c.layer_norm_eps = o.get_double("layer_norm_eps", c.layer_norm_eps);
  c.tie_word_embeddings = o.get_bool("tie_word_embeddings", c.tie_word_embeddings);
  return c;
}

Gpt2Config config_from_hf(const std::string& path) {
  Json j = read_json_file(path);
  try {
    std::string type = j.get_string("model_type", "gpt2");
    if (type != "gpt2") throw std::invalid_argument("model_type '" + type + "' is not gpt2");
    Gpt2Config c;
    c.vocab_size = j.get_int("vocab_size", c.vocab_size);
    c.hidden_size = j.get_int("n_embd", c.hidden_size);
    c.num_layers = j.get_int("n_layer", c.num_layers);
    c.num_heads = j.get_int("n_head", c.num_heads);
    c.max_positions = j.get_int("n_positions", c.max_positions);
    c.intermediate_size = j.get_int("n_inner", 0);
    c.layer_norm_eps = j.get_double("layer_norm_epsilon", c.layer_norm_eps);
    c.tie_word_embeddings = j.get_bool("tie_word_embeddings", true);
    std::string act = j.get_string("activation_function", "gelu_new");
    if (act != "gelu_new" && act != "gelu_pytorch_tanh")
      throw std::invalid_argument("activation_function '" + act + "' is not supported (gelu_new only)");
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

Json config_to_hf(const Gpt2Config& c) {
  Json j = Json::object();
  Json arch = Json::array();
  arch.push(Json::string("GPT2LMHeadModel"));
  j.set("architectures", arch);
  j.set("model_type", Json::string("gpt2"));
  j.set("vocab_size", Json::integer(c.vocab_size));
  j.set("n_embd", Json::integer(c.hidden_size));
  j.set("n_layer", Json::integer(c.num_layers));
  j.set("n_head", Json::integer(c.num_heads));
  j.set("n_positions", Json::integer(c.max_positions));
  j.set("n_inner", c.intermediate_size > 0 ? Json::integer(c.intermediate_size) : Json());
  j.set("layer_norm_epsilon", Json::number(c.layer_norm_eps));
  j.set("activation_function", Json::string("gelu_new"));
  j.set("tie_word_embeddings", Json::boolean(c.tie_word_embeddings));
  return j;
}

}  // namespace jstip::gpt2
