#include "llama_model.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "decoder/weights.h"
#include "layers/masks.h"

namespace jstip::llama {
namespace {

bool is_gguf_path(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0;
}

std::string dtype_text(torch::Dtype dtype) {  // config.json's torch_dtype
  if (dtype == torch::kBFloat16) return "bfloat16";
  if (dtype == torch::kFloat16) return "float16";
  return "float32";
}

}  // namespace

LlamaModel::LlamaModel(const Config& options) {
  std::string pretrained = options.get_string("pretrained", "");
  config_ = pretrained.empty()          ? config_from_options(options)
            : is_gguf_path(pretrained) ? config_from_gguf(pretrained)
                                       : config_from_hf((std::filesystem::path(pretrained) / "config.json").string());
  build(to_decoder_config(config_));
  if (!pretrained.empty()) load_pretrained(pretrained);
  to(layers::parse_float_dtype(options.get_string("dtype", "float32"), "llama"));
}

LlamaModel::LlamaModel(const LlamaConfig& config) : config_(config) { build(to_decoder_config(config_)); }

void LlamaModel::load_pretrained(const std::string& path) {
  if (is_gguf_path(path)) return load_gguf(path);
  std::string config_path = (std::filesystem::path(path) / "config.json").string();
  LlamaConfig stored = config_from_hf(config_path);
  auto differs = [&](const char* key, int64_t theirs, int64_t ours) {
    if (theirs != ours)
      throw std::runtime_error(config_path + ": " + key + " is " + std::to_string(theirs) + ", this model has " +
                               std::to_string(ours));
  };
  differs("vocab_size", stored.vocab_size, config_.vocab_size);
  differs("hidden_size", stored.hidden_size, config_.hidden_size);
  differs("intermediate_size", stored.intermediate_size, config_.intermediate_size);
  differs("num_hidden_layers", stored.num_layers, config_.num_layers);
  differs("num_attention_heads", stored.num_heads, config_.num_heads);
  differs("num_key_value_heads", stored.num_kv_heads, config_.num_kv_heads);
  differs("tie_word_embeddings", stored.tie_word_embeddings, config_.tie_word_embeddings);
  differs("attention_bias", stored.attention_bias, config_.attention_bias);
  // Numeric details follow the checkpoint (they carry no tensor shapes).
  LlamaConfig updated = config_;
  updated.rope_theta = stored.rope_theta;
  updated.rms_norm_eps = stored.rms_norm_eps;
  updated.rope_type = stored.rope_type;
  updated.rope_factor = stored.rope_factor;
  updated.rope_low_freq_factor = stored.rope_low_freq_factor;
  updated.rope_high_freq_factor = stored.rope_high_freq_factor;
  updated.rope_original_max_positions = stored.rope_original_max_positions;
  set_numerics(updated.rms_norm_eps, rotary_config(updated));
  config_ = updated;

  decoder::WeightMapping mapping;
  mapping.parameter_name = [](const std::string& name) {
    // Older exports hold RoPE's inverse frequencies, which we compute.
    return name.find("rotary_emb.inv_freq") != std::string::npos ? std::string() : name;
  };
  decoder::load_weights(*this, *weights::open_tensor_source(path), mapping);
}

void LlamaModel::save_pretrained(const std::string& directory) {
  decoder::save_weights(*this, directory, config_to_hf(config_, dtype_text(dtype())));
}

}  // namespace jstip::llama
