#include "bench/suite/model_flops.h"

namespace jstip::bench {

ModelDims ModelDims::from_config(const Config& c) {
  ModelDims d;
  d.input_dim = c.get_int("encoder.input_dim", d.input_dim);
  d.d_model = c.get_int("encoder.d_model", d.d_model);
  d.enc_layers = c.get_int("encoder.num_layers", d.enc_layers);
  d.ffn_dim = c.get_int("encoder.ffn_dim", d.ffn_dim);
  d.enc_heads = c.get_int("encoder.num_heads", d.enc_heads);
  d.dropout = c.get_double("encoder.dropout", d.dropout);
  d.sub_channels = c.get_int("encoder.subsampling_channels", 0);
  if (d.sub_channels == 0) d.sub_channels = d.d_model;
  d.ctc_vocab = c.get_int("encoder.ctc_vocab", 0);
  d.proj_stack = c.get_int("projector.stack", d.proj_stack);
  d.proj_hidden = c.get_int("projector.hidden_dim", d.proj_hidden);
  d.hidden = c.get_int("llm.hidden_size", d.hidden);
  d.llm_layers = c.get_int("llm.num_layers", d.llm_layers);
  d.intermediate = c.get_int("llm.intermediate_size", d.intermediate);
  d.heads = c.get_int("llm.num_heads", d.heads);
  d.kv_heads = c.get_int("llm.num_key_value_heads", 0);
  if (d.kv_heads == 0) d.kv_heads = d.heads;
  d.vocab = c.get_int("llm.vocab_size", d.vocab);
  return d;
}

Json ModelDims::to_json() const {
  Json j = Json::object();
  const std::pair<const char*, int64_t> ints[] = {
      {"input_dim", input_dim}, {"d_model", d_model},       {"enc_layers", enc_layers}, {"enc_heads", enc_heads},
      {"ffn_dim", ffn_dim},     {"sub_channels", sub_channels}, {"ctc_vocab", ctc_vocab}, {"proj_stack", proj_stack},
      {"proj_hidden", proj_hidden}, {"hidden", hidden},     {"llm_layers", llm_layers}, {"intermediate", intermediate},
      {"heads", heads},         {"kv_heads", kv_heads},     {"vocab", vocab}};
  for (const auto& [key, value] : ints) j.set(key, Json::integer(value));
  j.set("dropout", Json::number(dropout));
  return j;
}

double encoder_flops(const ModelDims& d, int64_t batch, int64_t frames) {
  // Conv2dSubsampling4: two 3x3 stride-2 convolutions, then a linear layer.
  const double t1 = (frames - 1) / 2, f1 = (d.input_dim - 1) / 2;
  const double t2 = (static_cast<int64_t>(t1) - 1) / 2, f2 = (static_cast<int64_t>(f1) - 1) / 2;
  const double c = d.sub_channels, m = d.d_model, b = batch;
  double flops = 2 * b * t1 * f1 * c * 9 + 2 * b * t2 * f2 * c * c * 9 + 2 * b * t2 * (c * f2) * m;
  // Per layer: q, k, v, out projections; scores and weighted values; the feed-forward.
  const double per_layer = b * t2 * (8 * m * m + 4 * m * d.ffn_dim) + b * 4 * t2 * t2 * m;
  flops += d.enc_layers * per_layer;
  flops += 2 * b * t2 * m * d.ctc_vocab;  // CTC head
  return flops;
}

double projector_flops(const ModelDims& d, int64_t batch, int64_t vectors) {
  const double groups = (vectors + d.proj_stack - 1) / d.proj_stack;
  return 2.0 * batch * groups * (d.d_model * d.proj_stack * d.proj_hidden + d.proj_hidden * d.hidden);
}

namespace {

// Projections and MLP of one position in one layer (no attention over the context).
double llm_position_flops(const ModelDims& d) {
  const double h = d.hidden, kv = d.hidden / d.heads * d.kv_heads;
  return 2 * h * h /*q*/ + 4 * h * kv /*k, v*/ + 2 * h * h /*o*/ + 6 * h * d.intermediate /*gate, up, down*/;
}

}  // namespace

double llm_flops(const ModelDims& d, int64_t batch, int64_t length) {
  const double b = batch, l = length, h = d.hidden;
  const double per_layer = b * l * llm_position_flops(d) + b * 4 * l * l * h;
  return d.llm_layers * per_layer + 2 * b * l * h * d.vocab;
}

double llm_decode_step_flops(const ModelDims& d, int64_t batch, int64_t context) {
  const double b = batch, h = d.hidden;
  return d.llm_layers * (b * llm_position_flops(d) + b * 4 * context * h) + 2 * b * h * d.vocab;
}

}  // namespace jstip::bench
