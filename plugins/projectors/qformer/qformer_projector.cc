#include "qformer_projector.h"

#include <torch/torch.h>

#include "layers/masks.h"

namespace jstip::qformer {
namespace {
torch::nn::LayerNorm layer_norm(int64_t d) { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})); }
}  // namespace

QformerLayerImpl::QformerLayerImpl(int64_t d, int64_t num_heads, int64_t ffn_dim, double dropout) : dropout_(dropout) {
  norm1 = register_module("norm1", layer_norm(d));
  self_attn = register_module("self_attn", layers::MultiHeadAttention(d, num_heads, dropout));
  norm2 = register_module("norm2", layer_norm(d));
  cross_attn = register_module("cross_attn", layers::MultiHeadAttention(d, num_heads, dropout));
  norm3 = register_module("norm3", layer_norm(d));
  feed_forward = register_module("feed_forward", layers::FeedForward(d, ffn_dim, "gelu", dropout));
}

torch::Tensor QformerLayerImpl::forward(const torch::Tensor& queries, const torch::Tensor& memory,
                                        const torch::Tensor& memory_valid) {
  auto drop = [&](const torch::Tensor& t) { return torch::dropout(t, dropout_, is_training()); };
  auto all_queries = torch::ones({queries.size(0), queries.size(1)}, queries.options().dtype(torch::kBool));
  auto h = norm1(queries);
  auto q = queries + drop(self_attn(h, h, all_queries));
  q = q + drop(cross_attn(norm2(q), memory, memory_valid));
  return q + drop(feed_forward(norm3(q)));
}

QformerProjector::QformerProjector(const Config& options)
    : input_dim_(layers::required_dim(options.get_int("input_dim", 0), "input_dim", "qformer")),
      output_dim_(layers::required_dim(options.get_int("output_dim", 0), "output_dim", "qformer")),
      num_queries_(layers::positive_option(options.get_int("num_queries", 32), "num_queries", "qformer")) {
  int64_t d = layers::positive_option(options.get_int("d_model", 256), "d_model", "qformer");
  int64_t heads = layers::positive_option(options.get_int("num_heads", 4), "num_heads", "qformer");
  int64_t ffn = layers::positive_option(options.get_int("ffn_dim", 1024), "ffn_dim", "qformer");
  double dropout = options.get_double("dropout", 0.1);
  query_tokens = register_parameter("query_tokens", torch::randn({num_queries_, d}) * 0.02);
  input_proj = register_module("input_proj", jstip::nn::LoraLinear(input_dim_, d));
  layer_stack = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.get_int("num_layers", 2); ++i) {
    layer_list_.push_back(QformerLayer(d, heads, ffn, dropout));
    layer_stack->push_back(layer_list_.back());
  }
  final_norm = register_module("final_norm", layer_norm(d));
  output_proj = register_module("output_proj", jstip::nn::LoraLinear(d, output_dim_));
}

ProjectorOutput QformerProjector::project(const torch::Tensor& hidden, const torch::Tensor& lengths_in) {
  layers::check_projector_inputs("qformer", hidden, lengths_in, input_dim_);
  auto lengths = lengths_in.to(hidden.device(), torch::kInt64);  // callers may keep lengths on the CPU
  auto valid = layers::lengths_to_mask(lengths, hidden.size(1));
  auto memory = layers::zero_padding(input_proj(layers::zero_padding(hidden, valid)), valid);
  auto q = query_tokens.unsqueeze(0).expand({hidden.size(0), num_queries_, query_tokens.size(1)});
  for (auto& layer : layer_list_) q = layer(q, memory, valid);
  ProjectorOutput out;
  out.embeddings = output_proj(final_norm(q));
  out.lengths = torch::full({hidden.size(0)}, num_queries_, lengths.options().dtype(torch::kInt64));
  return out;
}

}  // namespace jstip::qformer
