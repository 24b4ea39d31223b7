#include "conformer_encoder.h"

#include <torch/torch.h>

#include <cmath>

#include "layers/encoder_common.h"
#include "layers/masks.h"

namespace jstip::conformer {

ConformerEncoder::ConformerEncoder(const Config& options)
    : input_dim_(layers::positive_option(options.get_int("input_dim", 80), "input_dim", "conformer")),
      d_model_(layers::positive_option(options.get_int("d_model", 256), "d_model", "conformer")),
      dropout_(options.get_double("dropout", 0.1)) {
  int64_t num_layers = options.get_int("num_layers", 12);
  int64_t num_heads = layers::positive_option(options.get_int("num_heads", 4), "num_heads", "conformer");
  int64_t ffn_dim = layers::positive_option(options.get_int("ffn_dim", 1024), "ffn_dim", "conformer");
  int64_t kernel = options.get_int("conv_kernel", 15);
  embed = register_module(
      "embed", layers::Conv2dSubsampling4(input_dim_, d_model_, options.get_int("subsampling_channels", 0)));
  layer_stack = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) {
    layer_list_.push_back(ConformerLayer(d_model_, num_heads, ffn_dim, kernel, dropout_));
    layer_stack->push_back(layer_list_.back());
  }
  int64_t ctc_vocab = options.get_int("ctc_vocab", 0);
  if (ctc_vocab > 0) ctc_head = register_module("ctc_head", jstip::nn::LoraLinear(d_model_, ctc_vocab));
  std::string pretrained = options.get_string("pretrained", "");
  if (!pretrained.empty()) layers::load_module_weights(*this, pretrained, "conformer");
}

EncoderOutput ConformerEncoder::encode(const torch::Tensor& feats, const torch::Tensor& lengths_in) {
  layers::check_encoder_inputs("conformer", feats, lengths_in, input_dim_);
  auto lengths = lengths_in.to(feats.device(), torch::kInt64);  // callers may keep lengths on the CPU
  auto x = layers::zero_padding(feats, layers::lengths_to_mask(lengths, feats.size(1)));
  x = embed(x);
  EncoderOutput out;
  out.lengths = layers::Conv2dSubsampling4Impl::output_lengths(lengths.to(torch::kInt64));
  auto valid = layers::lengths_to_mask(out.lengths, x.size(1));
  x = x * std::sqrt(static_cast<double>(d_model_));
  x = layers::zero_padding(torch::dropout(x, dropout_, is_training()), valid);
  auto pos = torch::dropout(relative_positions(x.size(1), d_model_, x.options()), dropout_, is_training());
  for (auto& layer : layer_list_) x = layer(x, pos, valid);
  out.hidden = x;  // each layer ends in LayerNorm and re-zeroes padding
  if (ctc_head) out.ctc_logits = ctc_head(out.hidden);
  return out;
}

}  // namespace jstip::conformer
