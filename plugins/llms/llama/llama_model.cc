#include "llama_model.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "jstip/json.h"
#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"
#include "layers/decoder.h"
#include "layers/masks.h"

namespace jstip::llama {
namespace {

// Shard exports above transformers' default max_shard_size ("5GB").
constexpr uint64_t kMaxShardBytes = 5000000000ull;

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

bool is_gguf_path(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0;
}

std::string dtype_text(torch::Dtype dtype) {
  if (dtype == torch::kBFloat16) return "bfloat16";
  if (dtype == torch::kFloat16) return "float16";
  return "float32";
}

}  // namespace

LlamaBackboneImpl::LlamaBackboneImpl(const LlamaConfig& c) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    layer_list.push_back(LlamaDecoderLayer(c));
    layers->push_back(layer_list.back());
  }
  norm = register_module("norm", RMSNorm(c.hidden_size, c.rms_norm_eps));
}

LlamaModel::LlamaModel(const Config& options) {
  std::string pretrained = options.get_string("pretrained", "");
  const bool gguf = is_gguf_path(pretrained);
  config_ = pretrained.empty() ? config_from_options(options)
            : gguf             ? config_from_gguf(pretrained)
                               : config_from_hf((std::filesystem::path(pretrained) / "config.json").string());
  build();
  if (!pretrained.empty()) load_pretrained(pretrained);
  to(layers::parse_float_dtype(options.get_string("dtype", "float32"), "llama"));
}

LlamaModel::LlamaModel(const LlamaConfig& config) : config_(config) { build(); }

void LlamaModel::build() {
  config_.validate();
  model = register_module("model", LlamaBackbone(config_));
  if (!config_.tie_word_embeddings)
    lm_head = register_module("lm_head", jstip::nn::LoraLinear(config_.hidden_size, config_.vocab_size, false));
  init_weights();
}

void LlamaModel::init_weights() {
  // transformers' default: normal(0, initializer_range = 0.02), zero biases.
  torch::NoGradGuard no_grad;
  for (auto& item : named_parameters()) {
    const std::string& name = item.key();
    if (name.find("layernorm") != std::string::npos || name == "model.norm.weight") continue;  // stays ones
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) item.value().zero_();
    else item.value().normal_(0.0, 0.02);
  }
}

torch::Tensor LlamaModel::embed(const torch::Tensor& tokens) { return model->embed_tokens(tokens); }

LMOutput LlamaModel::forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                                        const torch::Tensor& positions, KVCache* cache) {
  layers::check_decoder_inputs("llama", embeddings, key_mask, positions, cache, config_.hidden_size);
  auto allowed = layers::causal_allowed(key_mask, embeddings.size(1));
  // Computed once per device (a handful of small ops per call otherwise: they count in token-by-token decoding).
  if (!inv_freq_.defined() || inv_freq_.device() != positions.device())
    inv_freq_ = rotary_inverse_frequencies(config_, positions.options());
  auto [cos, sin] = rotary_tables(positions, inv_freq_, embeddings.scalar_type());
  auto x = embeddings;
  size_t num_layers = model->layer_list.size();
  for (size_t i = 0; i < num_layers; ++i) x = model->layer_list[i](x, cos, sin, allowed, cache, i, num_layers);
  LMOutput out;
  out.hidden = model->norm(x);
  out.logits = lm_head ? lm_head(out.hidden) : jstip::nn::linear(out.hidden, model->embed_tokens->weight);
  return out;
}

LlamaConfig LlamaModel::config_from_hf(const std::string& path) {
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

Json LlamaModel::config_to_hf(const LlamaConfig& c, const std::string& torch_dtype) {
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

void LlamaModel::load_pretrained(const std::string& directory) {
  if (is_gguf_path(directory)) return load_gguf(directory);
  std::string config_path = (std::filesystem::path(directory) / "config.json").string();
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
  config_.rope_theta = stored.rope_theta;
  config_.rms_norm_eps = stored.rms_norm_eps;
  config_.rope_type = stored.rope_type;
  config_.rope_factor = stored.rope_factor;
  config_.rope_low_freq_factor = stored.rope_low_freq_factor;
  config_.rope_high_freq_factor = stored.rope_high_freq_factor;
  config_.rope_original_max_positions = stored.rope_original_max_positions;
  config_.validate();
  inv_freq_ = torch::Tensor();  // the rope settings may have changed
  for (auto& module : modules(/*include_self=*/false))
    if (auto* norm = dynamic_cast<RMSNormImpl*>(module.get())) norm->set_eps(config_.rms_norm_eps);

  auto tensors = safetensors::load_directory(directory);
  auto unused = jstip::nn::load_tensors(*this, tensors, "'" + directory + "'");
  for (const auto& name : unused) {
    bool harmless = name.find("rotary_emb.inv_freq") != std::string::npos ||
                    (config_.tie_word_embeddings && name == "lm_head.weight");
    if (!harmless)
      throw std::runtime_error("'" + directory + "' has tensor '" + name + "' that this llama model does not use");
  }
}

void LlamaModel::save_pretrained(const std::string& directory) {
  std::filesystem::create_directories(directory);
  auto tensors = jstip::nn::export_tensors(*this);
  safetensors::save_directory(directory, tensors, kMaxShardBytes);
  write_json_file((std::filesystem::path(directory) / "config.json").string(),
                  config_to_hf(config_, dtype_text(model->embed_tokens->weight.scalar_type())));
}

}  // namespace jstip::llama
