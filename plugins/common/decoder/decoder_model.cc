#include "decoder/decoder_model.h"

#include <torch/torch.h>

#include <set>
#include <stdexcept>
#include <string>

#include "decoder/inputs.h"

namespace jstip::decoder {

DecoderLayerImpl::DecoderLayerImpl(const DecoderConfig& c) {
  const ModuleNames& n = c.names;
  attention_norm = register_module(n.attention_norm, Norm(c.norm, c.hidden_size, c.norm_eps));
  attention = register_module(n.attention, SelfAttention(c));
  mlp_norm = register_module(n.mlp_norm, Norm(c.norm, c.hidden_size, c.norm_eps));
  mlp = register_module(n.mlp, Mlp(c));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const RotaryTables* rope, const torch::Tensor& allowed,
                                        KVCache* cache, size_t layer) {
  auto h = x + attention(attention_norm(x), rope, allowed, cache, layer);
  return h + mlp(mlp_norm(h));
}

DecoderStackImpl::DecoderStackImpl(const DecoderConfig& c) {
  const ModuleNames& n = c.names;
  embed = register_module(n.embed, torch::nn::Embedding(c.vocab_size, c.hidden_size));
  if (c.positions == PositionKind::kLearned)
    positions = register_module(n.positions, torch::nn::Embedding(c.max_positions, c.hidden_size));
  layers = register_module(n.layers, torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_layers; ++i) {
    layer_list.push_back(DecoderLayer(c));
    layers->push_back(layer_list.back());
  }
  final_norm = register_module(n.final_norm, Norm(c.norm, c.hidden_size, c.norm_eps));
}

void DecoderModel::build(const DecoderConfig& config) {
  config.validate();
  config_ = config;
  inv_freq_ = torch::Tensor();
  stack = register_module(config_.names.root, DecoderStack(config_));
  if (!config_.tie_word_embeddings)
    lm_head = register_module("lm_head", jstip::nn::LoraLinear(config_.hidden_size, config_.vocab_size, false));

  torch::NoGradGuard no_grad;
  std::set<const void*> norm_parameters;  // keep their ones and zeros
  for (const auto& module : modules(/*include_self=*/false))
    if (dynamic_cast<NormImpl*>(module.get()))
      for (const auto& p : module->parameters()) norm_parameters.insert(p.unsafeGetTensorImpl());
  for (auto& item : named_parameters()) {
    if (norm_parameters.count(item.value().unsafeGetTensorImpl())) continue;
    const std::string& name = item.key();
    if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) item.value().zero_();
    else item.value().normal_(0.0, 0.02);
  }
}

void DecoderModel::set_numerics(double norm_eps, const RotaryConfig& rotary) {
  DecoderConfig changed = config_;
  changed.norm_eps = norm_eps;
  changed.rotary = rotary;
  changed.validate();
  config_ = changed;
  inv_freq_ = torch::Tensor();
  for (auto& module : modules(/*include_self=*/false))
    if (auto* norm = dynamic_cast<NormImpl*>(module.get())) norm->set_eps(norm_eps);
}

torch::Tensor DecoderModel::embed(const torch::Tensor& tokens) { return stack->embed(tokens); }

LMOutput DecoderModel::forward_embeddings(const torch::Tensor& embeddings, const torch::Tensor& key_mask,
                                          const torch::Tensor& positions, KVCache* cache) {
  const char* family = config_.family.c_str();
  check_decoder_inputs(family, embeddings, key_mask, positions, cache, config_.hidden_size);
  auto allowed = causal_allowed(key_mask, embeddings.size(1));
  auto x = embeddings;
  RotaryTables rope;
  if (config_.positions == PositionKind::kLearned) {
    if (positions.numel() > 0 && positions.max().item<int64_t>() >= config_.max_positions)
      throw std::invalid_argument(std::string(family) + ": position " + std::to_string(positions.max().item<int64_t>()) +
                                  " is beyond max_position_embeddings " + std::to_string(config_.max_positions));
    x = x + stack->positions(positions);
  } else {
    // Computed once per device (a handful of small ops per call otherwise: they count in token-by-token decoding).
    if (!inv_freq_.defined() || inv_freq_.device() != positions.device())
      inv_freq_ = rotary_inverse_frequencies(config_.rotary, config_.head_dim(), positions.options());
    rope = rotary_tables(positions, inv_freq_, embeddings.scalar_type());
  }
  const RotaryTables* rope_or_null = rope.cos.defined() ? &rope : nullptr;
  for (size_t i = 0; i < stack->layer_list.size(); ++i) x = stack->layer_list[i](x, rope_or_null, allowed, cache, i);
  LMOutput out;
  out.hidden = stack->final_norm(x);
  out.logits = lm_head ? lm_head(out.hidden) : jstip::nn::linear(out.hidden, stack->embed->weight);
  return out;
}

}  // namespace jstip::decoder
