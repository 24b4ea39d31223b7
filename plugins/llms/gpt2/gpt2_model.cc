#include "gpt2_model.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"
#include "layers/decoder.h"
#include "layers/masks.h"

namespace jstip::gpt2 {
namespace {

// Shard exports above transformers' default max_shard_size ("5GB").
constexpr uint64_t kMaxShardBytes = 5000000000ull;

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

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Old GPT-2 exports hold the causal mask as buffers; they carry no weights.
bool is_mask_buffer(const std::string& name) {
  return ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias");
}

}  // namespace

bool Gpt2Model::is_conv1d_weight(const std::string& name) {
  return ends_with(name, "attn.c_attn.weight") || ends_with(name, "attn.c_proj.weight") ||
         ends_with(name, "mlp.c_fc.weight") || ends_with(name, "mlp.c_proj.weight");
}

Gpt2BackboneImpl::Gpt2BackboneImpl(const Gpt2Config& c) {
  wte = register_module("wte", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  wpe = register_module("wpe", torch::nn::Embedding(c.max_positions, c.hidden_size));
  h = register_module("h", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    blocks.push_back(Gpt2Block(c));
    h->push_back(blocks.back());
  }
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

Gpt2Model::Gpt2Model(const Config& options) {
  std::string pretrained = options.get_string("pretrained", "");
  config_ = pretrained.empty() ? config_from_options(options)
                               : config_from_hf((std::filesystem::path(pretrained) / "config.json").string());
  build();
  if (!pretrained.empty()) load_pretrained(pretrained);
  to(layers::parse_float_dtype(options.get_string("dtype", "float32"), "gpt2"));
}

Gpt2Model::Gpt2Model(const Gpt2Config& config) : config_(config) { build(); }

void Gpt2Model::build() {
  config_.validate();
  transformer = register_module("transformer", Gpt2Backbone(config_));
  if (!config_.tie_word_embeddings)
    lm_head = register_module("lm_head", jstip::nn::LoraLinear(config_.hidden_size, config_.vocab_size, false));
  torch::NoGradGuard no_grad;  // GPT-2's init: normal(0, 0.02) weights, zero biases, unit LayerNorms
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    if (name.find(".ln_") != std::string::npos) continue;
    if (ends_with(name, ".bias")) item.value().zero_();
    else item.value().normal_(0.0, 0.02);
  }
}

torch::Tensor Gpt2Model::embed(const torch::Tensor& tokens) { return transformer->wte(tokens); }

LMOutput Gpt2Model::forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                                       const torch::Tensor& positions, KVCache* cache) {
  layers::check_decoder_inputs("gpt2", embeddings, key_mask, positions, cache, config_.hidden_size);
  if (positions.numel() > 0 && positions.max().item<int64_t>() >= config_.max_positions)
    throw std::invalid_argument("gpt2: position " + std::to_string(positions.max().item<int64_t>()) +
                                " is beyond max_position_embeddings " + std::to_string(config_.max_positions));
  auto allowed = layers::causal_allowed(key_mask, embeddings.size(1));
  auto x = embeddings + transformer->wpe(positions);
  size_t n = transformer->blocks.size();
  for (size_t i = 0; i < n; ++i) x = transformer->blocks[i](x, allowed, cache, i, n);
  LMOutput out;
  out.hidden = transformer->ln_f(x);
  out.logits = lm_head ? lm_head(out.hidden) : jstip::nn::linear(out.hidden, transformer->wte->weight);
  return out;
}

Gpt2Config Gpt2Model::config_from_hf(const std::string& path) {
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

Json Gpt2Model::config_to_hf(const Gpt2Config& c) {
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
  jstip::nn::TensorMap ours;
  for (auto& [name, tensor] : safetensors::load_directory(directory)) {
    if (is_mask_buffer(name)) continue;
    if (config_.tie_word_embeddings && name == "lm_head.weight") continue;
    std::string key = (name.rfind("transformer.", 0) == 0 || name.rfind("lm_head.", 0) == 0) ? name : "transformer." + name;
    ours[key] = is_conv1d_weight(key) && tensor.dim() == 2 ? tensor.t() : tensor;
  }
  auto unused = jstip::nn::load_tensors(*this, ours, "'" + directory + "'");
  if (!unused.empty())
    throw std::runtime_error("'" + directory + "' has tensor '" + unused.front() + "' that this gpt2 model does not use");
}

void Gpt2Model::save_pretrained(const std::string& directory) {
  std::filesystem::create_directories(directory);
  auto tensors = jstip::nn::export_tensors(*this);
  for (auto& [name, tensor] : tensors)
    if (is_conv1d_weight(name)) tensor = tensor.t().contiguous();
  safetensors::save_directory(directory, tensors, kMaxShardBytes);
  write_json_file((std::filesystem::path(directory) / "config.json").string(), config_to_hf(config_));
}

}  // namespace jstip::gpt2
