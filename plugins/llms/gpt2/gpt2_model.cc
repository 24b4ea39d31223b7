#include "gpt2_model.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "decoder/weights.h"
#include "gpt2_names.h"
#include "layers/masks.h"

namespace jstip::gpt2 {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Old GPT-2 exports hold the causal mask as buffers; they carry no weights.
bool is_mask_buffer(const std::string& name) {
  return ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias");
}

}  // namespace

bool Gpt2Model::is_conv1d_weight(const std::string& name) {
  for (const char* suffix : kConv1dWeights)
    if (ends_with(name, suffix)) return true;
  return false;
}

Gpt2Model::Gpt2Model(const Config& options) {
  std::string pretrained = options.get_string("pretrained", "");
  config_ = pretrained.empty() ? config_from_options(options)
                               : config_from_hf((std::filesystem::path(pretrained) / "config.json").string());
  build(to_decoder_config(config_));
  if (!pretrained.empty()) load_pretrained(pretrained);
  to(layers::parse_float_dtype(options.get_string("dtype", "float32"), "gpt2"));
}

Gpt2Model::Gpt2Model(const Gpt2Config& config) : config_(config) { build(to_decoder_config(config_)); }

void Gpt2Model::load_pretrained(const std::string& directory) {
  std::string config_path = (std::filesystem::path(directory) / "config.json").string();
  Gpt2Config stored = config_from_hf(config_path);
  auto differs = [&](const char* key, int64_t theirs, int64_t ours) {
    if (theirs != ours)
      throw std::runtime_error(config_path + ": " + key + " is " + std::to_string(theirs) + ", this model has " +
                               std::to_string(ours));
  };
  differs("vocab_size", stored.vocab_size, config_.vocab_size);
  differs("n_embd", stored.hidden_size, config_.hidden_size);
  differs("n_layer", stored.num_layers, config_.num_layers);
  differs("n_head", stored.num_heads, config_.num_heads);
  differs("n_positions", stored.max_positions, config_.max_positions);
  differs("n_inner", stored.inner(), config_.inner());
  differs("tie_word_embeddings", stored.tie_word_embeddings, config_.tie_word_embeddings);

  // HF names, with or without the "transformer." prefix (the original GPT-2
  // upload has none); Conv1D weights come transposed.
  decoder::WeightMapping mapping;
  mapping.parameter_name = [](const std::string& name) {
    if (is_mask_buffer(name)) return std::string();
    const bool ours = name.rfind("transformer.", 0) == 0 || name.rfind("lm_head.", 0) == 0;
    return ours ? name : "transformer." + name;
  };
  mapping.to_parameter = [](const std::string& name, torch::Tensor t) {
    return is_conv1d_weight(name) && t.dim() == 2 ? t.t() : t;
  };
  decoder::load_weights(*this, *weights::open_tensor_source(directory), mapping);
}

void Gpt2Model::save_pretrained(const std::string& directory) {
  decoder::save_weights(*this, directory, config_to_hf(config_), [](const std::string& name, torch::Tensor t) {
    return is_conv1d_weight(name) ? t.t().contiguous() : t;
  });
}

}  // namespace jstip::gpt2
