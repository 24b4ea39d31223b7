// Analytic FLOP counts of the reference composition (transformer encoder
// with conv2d subsampling and CTC head, stack_linear projector, llama LLM)
// for the padded shapes a step really computes. Multiply-adds count 2 FLOPs;
// a training step counts 3x the forward pass (backward ~ 2x forward), the
// usual convention for model FLOP utilization. Elementwise ops, softmax and
// norms are left out (small next to the matmuls at these sizes).
#pragma once

#include <cstdint>

#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip::bench {

struct ModelDims {
  int64_t input_dim = 80, d_model = 144, enc_layers = 4, enc_heads = 4, ffn_dim = 576, sub_channels = 32, ctc_vocab = 1001;
  double dropout = 0.1;  // encoder
  int64_t proj_stack = 1, proj_hidden = 512;
  int64_t hidden = 256, llm_layers = 4, intermediate = 688, heads = 4, kv_heads = 2, vocab = 1000;

  static ModelDims from_config(const Config& config);  // the resolved composition's options
  Json to_json() const;                                 // for the Python peer, which builds the same shapes
};

// Forward FLOPs of the encoder on [batch, frames, input_dim] padded features.
double encoder_flops(const ModelDims& d, int64_t batch, int64_t frames);
// Forward FLOPs of the projector on [batch, vectors, d_model].
double projector_flops(const ModelDims& d, int64_t batch, int64_t vectors);
// Forward FLOPs of the LLM on [batch, length] positions (full attention matrix, lm_head on every position).
double llm_flops(const ModelDims& d, int64_t batch, int64_t length);
// One decoding step of `batch` rows attending to `context` cached positions.
double llm_decode_step_flops(const ModelDims& d, int64_t batch, int64_t context);

}  // namespace jstip::bench
