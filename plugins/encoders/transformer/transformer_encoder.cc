#include "transformer_encoder.h"

#include <torch/torch.h>

#include <cmath>

#include "layers/encoder_common.h"
#include "layers/masks.h"

namespace jstip::transformer {

TransformerLayerImpl::TransformerLayerImpl(int64_t d_model, int64_t num_heads, int64_t ffn_dim, double dropout)
    : dropout_(dropout) {
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  self_attn = register_module("self_attn", layers::MultiHeadAttention(d_model, num_heads, dropout));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model})));
  feed_forward = register_module("feed_forward", layers::FeedForward(d_model, ffn_dim, "relu", dropout));
}

torch::Tensor TransformerLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& valid) {
  auto h = norm1(x);
  auto y = x + torch::dropout(self_attn(h, h, valid), dropout_, is_training());
  y = y + torch::dropout(feed_forward(norm2(y)), dropout_, is_training());
  return layers::zero_padding(y, valid);
}

TransformerEncoder::TransformerEncoder(const Config& options)
    : input_dim_(layers::positive_option(options.get_int("input_dim", 80), "input_dim", "transformer")),
      d_model_(layers::positive_option(options.get_int("d_model", 256), "d_model", "transformer")),
      dropout_(options.get_double("dropout", 0.1)) {
  int64_t num_layers = options.get_int("num_layers", 6);
  int64_t num_heads = layers::positive_option(options.get_int("num_heads", 4), "num_heads", "transformer");
  int64_t ffn_dim = layers::positive_option(options.get_int("ffn_dim", 1024), "ffn_dim", "transformer");
  embed = register_module(
      "embed", layers::Conv2dSubsampling4(input_dim_, d_model_, options.get_int("subsampling_channels", 0)));
  layer_stack = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) {
    layer_list_.push_back(TransformerLayer(d_model_, num_heads, ffn_dim, dropout_));
    layer_stack->push_back(layer_list_.back());
  }
  after_norm = register_module("after_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d_model_})));
  int64_t ctc_vocab = options.get_int("ctc_vocab", 0);
  if (ctc_vocab > 0) ctc_head = register_module("ctc_head", jstip::nn::LoraLinear(d_model_, ctc_vocab));
  std::string pretrained = options.get_string("pretrained", "");
  if (!pretrained.empty()) layers::load_module_weights(*this, pretrained, "transformer");
}

EncoderOutput TransformerEncoder::encode(const torch::Tensor& feats, const torch::Tensor& lengths_in) {
  layers::check_encoder_inputs("transformer", feats, lengths_in, input_dim_);
  auto lengths = lengths_in.to(feats.device(), torch::kInt64);  // callers may keep lengths on the CPU
  // Padding may hold anything: zero it before the convolutions see it.
  auto x = layers::zero_padding(feats, layers::lengths_to_mask(lengths, feats.size(1)));
  x = embed(x);
  EncoderOutput out;
  out.lengths = layers::Conv2dSubsampling4Impl::output_lengths(lengths.to(torch::kInt64));
  auto valid = layers::lengths_to_mask(out.lengths, x.size(1));
  auto positions = layers::sinusoidal_encoding(torch::arange(x.size(1), x.options()), d_model_).to(x.scalar_type());
  x = x * std::sqrt(static_cast<double>(d_model_)) + positions.unsqueeze(0);
  x = layers::zero_padding(torch::dropout(x, dropout_, is_training()), valid);
  for (auto& layer : layer_list_) x = layer(x, valid);
  out.hidden = layers::zero_padding(after_norm(x), valid);
  if (ctc_head) out.ctc_logits = ctc_head(out.hidden);
  return out;
}

}  // namespace jstip::transformer
