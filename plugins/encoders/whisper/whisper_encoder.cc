#include "whisper_encoder.h"

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "jstip/json.h"
#include "jstip/nn/state_dict.h"
#include "jstip/weights/tensor_source.h"
#include "jstip/weights/whisper_ct2.h"
#include "layers/attention.h"
#include "layers/encoder_common.h"
#include "layers/masks.h"

namespace jstip::whisper {
namespace {

torch::nn::LayerNorm layer_norm_of(int64_t d) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})); }

// Whisper's fixed sinusoids: sin on the first half of the channels, cos on the second.
torch::Tensor whisper_sinusoids(int64_t length, int64_t channels) {
  double increment = std::log(10000.0) / static_cast<double>(channels / 2 - 1);
  auto inv_timescales = torch::exp(-increment * torch::arange(channels / 2, torch::kFloat64));
  auto scaled = torch::arange(length, torch::kFloat64).unsqueeze(1) * inv_timescales.unsqueeze(0);
  return torch::cat({torch::sin(scaled), torch::cos(scaled)}, 1).to(torch::kFloat32);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

WhisperConfig config_of(const weights::WhisperSizes& s) {
  WhisperConfig c;
  c.input_dim = s.num_mel_bins;
  c.d_model = s.d_model;
  c.num_layers = s.encoder_layers;
  c.num_heads = s.encoder_attention_heads;
  c.ffn_dim = s.encoder_ffn_dim;
  c.max_positions = s.max_source_positions;
  return c;
}

}  // namespace

std::shared_ptr<const weights::TensorSource> WhisperEncoder::open_pretrained(const std::string& directory) {
  // What open_tensor_source finds (safetensors first); a CTranslate2 Whisper under Hugging Face names.
  std::shared_ptr<const weights::TensorSource> source = weights::open_tensor_source(directory);
  if (weights::is_whisper_ct2(*source)) return std::make_shared<weights::WhisperCt2AsHf>(source);
  return source;
}

WhisperConvImpl::WhisperConvImpl(int64_t in, int64_t out, int64_t stride) : stride_(stride) {
  weight = register_parameter("weight", torch::empty({out, in, 3}));
  bias = register_parameter("bias", torch::zeros({out}));
  torch::NoGradGuard no_grad;
  torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
}

torch::Tensor WhisperConvImpl::forward(const torch::Tensor& x) {
  auto padded = torch::constant_pad_nd(x, {0, 0, 1, 1});                // [B, T + 2, in]
  auto windows = padded.unfold(1, 3, stride_);                          // [B, T', in, 3]
  auto flat = windows.reshape({windows.size(0), windows.size(1), -1});  // in-major, like weight
  return torch::matmul(flat, weight.reshape({weight.size(0), -1}).t()) + bias;
}

WhisperAttentionImpl::WhisperAttentionImpl(int64_t d, int64_t num_heads) : num_heads_(num_heads) {
  if (num_heads <= 0 || d % num_heads != 0)
    throw std::invalid_argument("whisper: d_model " + std::to_string(d) + " is not divisible by num_heads " +
                                std::to_string(num_heads));
  q_proj = register_module("q_proj", jstip::nn::LoraLinear(d, d));
  k_proj = register_module("k_proj", jstip::nn::LoraLinear(d, d, /*bias=*/false));  // Whisper's k has no bias
  v_proj = register_module("v_proj", jstip::nn::LoraLinear(d, d));
  out_proj = register_module("out_proj", jstip::nn::LoraLinear(d, d));
}

torch::Tensor WhisperAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& valid) {
  int64_t b = x.size(0), t = x.size(1), d = x.size(2), hd = d / num_heads_;
  auto heads = [&](const torch::Tensor& y) { return y.view({b, t, num_heads_, hd}).transpose(1, 2); };
  auto q = heads(q_proj(x)), k = heads(k_proj(x)), v = heads(v_proj(x));
  auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(hd));
  auto out = layers::attend(scores, v, valid.unsqueeze(1).unsqueeze(2), 0.0, is_training());
  return out_proj(out.transpose(1, 2).reshape({b, t, d}));
}

WhisperLayerImpl::WhisperLayerImpl(int64_t d, int64_t num_heads, int64_t ffn_dim, double dropout) : dropout_(dropout) {
  self_attn = register_module("self_attn", WhisperAttention(d, num_heads));
  self_attn_layer_norm = register_module("self_attn_layer_norm", layer_norm_of(d));
  fc1 = register_module("fc1", jstip::nn::LoraLinear(d, ffn_dim));
  fc2 = register_module("fc2", jstip::nn::LoraLinear(ffn_dim, d));
  final_layer_norm = register_module("final_layer_norm", layer_norm_of(d));
}

torch::Tensor WhisperLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& valid) {
  auto drop = [&](const torch::Tensor& t) { return torch::dropout(t, dropout_, is_training()); };
  auto h = x + drop(self_attn(self_attn_layer_norm(x), valid));
  h = h + drop(fc2(torch::gelu(fc1(final_layer_norm(h)))));
  return layers::zero_padding(h, valid);
}

WhisperConfig WhisperEncoder::config_from_hf(const std::string& path) {
  Json j = read_json_file(path);
  try {
    std::string type = j.get_string("model_type", "whisper");
    if (type != "whisper") throw std::invalid_argument("model_type '" + type + "' is not whisper");
    WhisperConfig c;
    c.input_dim = j.get_int("num_mel_bins", c.input_dim);
    c.d_model = j.get_int("d_model", c.d_model);
    c.num_layers = j.get_int("encoder_layers", c.num_layers);
    c.num_heads = j.get_int("encoder_attention_heads", c.num_heads);
    c.ffn_dim = j.get_int("encoder_ffn_dim", c.ffn_dim);
    c.max_positions = j.get_int("max_source_positions", c.max_positions);
    std::string act = j.get_string("activation_function", "gelu");
    if (act != "gelu") throw std::invalid_argument("activation_function '" + act + "' is not supported (gelu)");
    return c;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

WhisperEncoder::WhisperEncoder(const Config& options) : dropout_(options.get_double("dropout", 0.0)) {
  const std::string pretrained = options.get_string("pretrained", "");
  std::shared_ptr<const weights::TensorSource> source;
  if (!pretrained.empty()) {
    source = open_pretrained(pretrained);
    if (const auto* ct2 = dynamic_cast<const weights::WhisperCt2AsHf*>(source.get())) config_ = config_of(ct2->sizes());
    else config_ = config_from_hf((std::filesystem::path(pretrained) / "config.json").string());
  } else {
    config_.input_dim = layers::positive_option(options.get_int("input_dim", 80), "input_dim", "whisper");
    config_.d_model = layers::positive_option(options.get_int("d_model", 384), "d_model", "whisper");
    config_.num_layers = options.get_int("num_layers", 4);
    config_.num_heads = layers::positive_option(options.get_int("num_heads", 6), "num_heads", "whisper");
    config_.ffn_dim = layers::positive_option(options.get_int("ffn_dim", 1536), "ffn_dim", "whisper");
    config_.max_positions = layers::positive_option(options.get_int("max_positions", 1500), "max_positions", "whisper");
  }
  if (config_.d_model % 2 != 0 || config_.d_model < 4) throw std::invalid_argument("whisper: d_model must be even and >= 4");
  conv1 = register_module("conv1", WhisperConv(config_.input_dim, config_.d_model, 1));
  conv2 = register_module("conv2", WhisperConv(config_.d_model, config_.d_model, 2));
  embed_positions = register_module("embed_positions", torch::nn::Embedding(config_.max_positions, config_.d_model));
  {
    torch::NoGradGuard no_grad;
    embed_positions->weight.copy_(whisper_sinusoids(config_.max_positions, config_.d_model));
  }
  layer_stack = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    layer_list_.push_back(WhisperLayer(config_.d_model, config_.num_heads, config_.ffn_dim, dropout_));
    layer_stack->push_back(layer_list_.back());
  }
  layer_norm = register_module("layer_norm", layer_norm_of(config_.d_model));
  pool_ = layers::positive_option(options.get_int("pool", 1), "pool", "whisper");
  int64_t ctc_vocab = options.get_int("ctc_vocab", 0);
  if (ctc_vocab > 0) ctc_head = register_module("ctc_head", jstip::nn::LoraLinear(config_.d_model, ctc_vocab));
  if (source) load_pretrained(*source);
}

void WhisperEncoder::load_pretrained(const weights::TensorSource& source) {
  jstip::nn::TensorMap encoder;
  for (const auto& entry : source.entries()) {
    for (const char* prefix : {"model.encoder.", "encoder."})
      if (starts_with(entry.name, prefix))
        encoder[entry.name.substr(std::string(prefix).size())] = source.read(entry.name, torch::kFloat32);
  }
  const std::string& where = source.path();
  if (encoder.empty()) throw std::runtime_error("whisper: '" + where + "' holds no model.encoder.* tensors");
  // The CTC head is ours, not Whisper's: it keeps its initialisation.
  auto unused = jstip::nn::load_tensors(*this, encoder, "'" + where + "' (model.encoder.*)", {"^ctc_head\\."});
  if (!unused.empty())
    throw std::runtime_error("whisper: '" + where + "' has tensor 'model.encoder." + unused.front() +
                             "' that this encoder does not have");
}

EncoderOutput WhisperEncoder::encode(const torch::Tensor& feats, const torch::Tensor& lengths_in) {
  layers::check_encoder_inputs("whisper", feats, lengths_in, config_.input_dim);
  auto lengths = lengths_in.to(feats.device(), torch::kInt64);  // callers may keep lengths on the CPU
  auto valid = layers::lengths_to_mask(lengths, feats.size(1));
  // Zeroing after each convolution makes padding look like the convolution's own zero padding.
  auto x = layers::zero_padding(torch::gelu(conv1(layers::zero_padding(feats, valid))), valid);
  x = torch::gelu(conv2(x));
  EncoderOutput out;
  out.lengths = torch::where(lengths > 0, torch::div(lengths - 1, 2, "floor") + 1, torch::zeros_like(lengths));
  if (x.size(1) > config_.max_positions)
    throw std::invalid_argument("whisper: " + std::to_string(x.size(1)) + " output frames exceed max_positions " +
                                std::to_string(config_.max_positions) + " (Whisper covers 30 s)");
  auto out_valid = layers::lengths_to_mask(out.lengths, x.size(1));
  x = x + embed_positions->weight.narrow(0, 0, x.size(1)).unsqueeze(0);
  x = layers::zero_padding(torch::dropout(x, dropout_, is_training()), out_valid);
  for (auto& layer : layer_list_) x = layer(x, out_valid);
  out.hidden = layers::zero_padding(layer_norm(x), out_valid);
  out.hidden = layers::mean_pool_frames(out.hidden, out.lengths, pool_, &out.lengths);  // pool 1: as is
  if (ctc_head) out.ctc_logits = ctc_head(out.hidden);
  return out;
}

}  // namespace jstip::whisper
