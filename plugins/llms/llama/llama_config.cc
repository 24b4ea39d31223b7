#include "llama_config.h"

#include <stdexcept>

#include "llama_names.h"

namespace jstip::llama {

decoder::RotaryConfig rotary_config(const LlamaConfig& c) {
  decoder::RotaryConfig r;
  r.theta = c.rope_theta;
  r.type = c.rope_type;
  r.factor = c.rope_factor;
  r.low_freq_factor = c.rope_low_freq_factor;
  r.high_freq_factor = c.rope_high_freq_factor;
  r.original_max_positions = c.rope_original_max_positions;
  return r;
}

decoder::DecoderConfig to_decoder_config(const LlamaConfig& c) {
  decoder::DecoderConfig d;
  d.family = "llama";
  d.vocab_size = c.vocab_size;
  d.hidden_size = c.hidden_size;
  d.intermediate_size = c.intermediate_size;
  d.num_layers = c.num_layers;
  d.num_heads = c.num_heads;
  d.num_kv_heads = c.num_kv_heads;
  d.tie_word_embeddings = c.tie_word_embeddings;
  d.qkv_bias = c.attention_bias;
  d.norm = decoder::NormKind::kRms;
  d.norm_eps = c.rms_norm_eps;
  d.activation = "silu";
  d.positions = decoder::PositionKind::kRotary;
  d.rotary = rotary_config(c);
  d.names = kLlamaModules;
  return d;
}

void LlamaConfig::validate() const { to_decoder_config(*this).validate(); }

LlamaConfig config_from_options(const Config& options) {
  LlamaConfig c;
  c.model_type = options.get_string("model_type", c.model_type);
  c.vocab_size = options.get_int("vocab_size", c.vocab_size);
  c.hidden_size = options.get_int("hidden_size", c.hidden_size);
  c.intermediate_size = options.get_int("intermediate_size", c.intermediate_size);
  c.num_layers = options.get_int("num_layers", c.num_layers);
  c.num_heads = options.get_int("num_heads", c.num_heads);
  c.num_kv_heads = options.get_int("num_key_value_heads", 0);
  if (c.num_kv_heads == 0) c.num_kv_heads = c.num_heads;
  c.rope_theta = options.get_double("rope_theta", c.rope_theta);
  c.rms_norm_eps = options.get_double("rms_norm_eps", c.rms_norm_eps);
  c.tie_word_embeddings = options.get_bool("tie_word_embeddings", c.tie_word_embeddings);
  c.attention_bias = options.get_bool("attention_bias", c.attention_bias);
  c.max_position_embeddings = options.get_int("max_position_embeddings", c.max_position_embeddings);
  return c;
}

LlamaConfig config_from_hf(const std::string& path) {
  Json j = read_json_file(path);
  try {
    LlamaConfig c;
    c.model_type = j.get_string("model_type", "llama");
    if (c.model_type != "llama" && c.model_type != "qwen2" && c.model_type != "mistral")
      throw std::invalid_argument("model_type '" + c.model_type + "' is not a Llama-family model");
    c.vocab_size = j.get_int("vocab_size", c.vocab_size);
    c.hidden_size = j.get_int("hidden_size", c.hidden_size);
    c.intermediate_size = j.get_int("intermediate_size", c.intermediate_size);
    c.num_layers = j.get_int("num_hidden_layers", c.num_layers);
    c.num_heads = j.get_int("num_attention_heads", c.num_heads);
    c.num_kv_heads = j.get_int("num_key_value_heads", c.num_heads);
    c.rope_theta = j.get_double("rope_theta", c.rope_theta);
    c.rms_norm_eps = j.get_double("rms_norm_eps", c.rms_norm_eps);
    c.tie_word_embeddings = j.get_bool("tie_word_embeddings", false);
    // Qwen2's config has no attention_bias key: its q/k/v always carry a bias.
    c.attention_bias = j.get_bool("attention_bias", c.model_type == "qwen2");
    c.max_position_embeddings = j.get_int("max_position_embeddings", c.max_position_embeddings);
    if (j.find("head_dim") && j.get_int("head_dim", 0) != c.hidden_size / c.num_heads)
      throw std::invalid_argument("head_dim different from hidden_size / num_attention_heads is not supported");
    const Json* scaling = j.find("rope_scaling");
    if (scaling && !scaling->is_null()) {
      c.rope_type = scaling->get_string("rope_type", scaling->get_string("type", "default"));
      c.rope_factor = scaling->get_double("factor", 1.0);
      c.rope_low_freq_factor = scaling->get_double("low_freq_factor", c.rope_low_freq_factor);
      c.rope_high_freq_factor = scaling->get_double("high_freq_factor", c.rope_high_freq_factor);
      c.rope_original_max_positions =
          scaling->get_int("original_max_position_embeddings", c.rope_original_max_positions);
    }
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

Json config_to_hf(const LlamaConfig& c, const std::string& torch_dtype) {
  Json j = Json::object();
  Json architectures = Json::array();
  architectures.push(Json::string(c.model_type == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"));
  j.set("architectures", architectures);
  j.set("model_type", Json::string(c.model_type));
  j.set("vocab_size", Json::integer(c.vocab_size));
  j.set("hidden_size", Json::integer(c.hidden_size));
  j.set("intermediate_size", Json::integer(c.intermediate_size));
  j.set("num_hidden_layers", Json::integer(c.num_layers));
  j.set("num_attention_heads", Json::integer(c.num_heads));
  j.set("num_key_value_heads", Json::integer(c.num_kv_heads));
  j.set("rope_theta", Json::number(c.rope_theta));
  j.set("rms_norm_eps", Json::number(c.rms_norm_eps));
  j.set("tie_word_embeddings", Json::boolean(c.tie_word_embeddings));
  j.set("attention_bias", Json::boolean(c.attention_bias));
  j.set("max_position_embeddings", Json::integer(c.max_position_embeddings));
  j.set("hidden_act", Json::string("silu"));
  if (c.rope_type != "default") {
    Json scaling = Json::object();
    scaling.set("rope_type", Json::string(c.rope_type));
    scaling.set("factor", Json::number(c.rope_factor));
    if (c.rope_type == "llama3") {
      scaling.set("low_freq_factor", Json::number(c.rope_low_freq_factor));
      scaling.set("high_freq_factor", Json::number(c.rope_high_freq_factor));
      scaling.set("original_max_position_embeddings", Json::integer(c.rope_original_max_positions));
    }
    j.set("rope_scaling", scaling);
  } else {
    j.set("rope_scaling", Json());
  }
  j.set("torch_dtype", Json::string(torch_dtype));
  return j;
}

}  // namespace jstip::llama
