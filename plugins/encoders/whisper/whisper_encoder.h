// The `whisper` encoder plugin: Whisper's audio encoder (two 1-D convolutions,
// the second with stride 2, GELU, learned/sinusoidal positions, pre-norm
// layers), importing Whisper from a Hugging Face folder (model.encoder.*) or
// a CTranslate2 one (model.bin, as faster-whisper ships it; the position
// table comes from the file, stored in f16, not recomputed).
// Unlike Whisper it masks padding within a batch, so inputs need not be padded
// to 30 s; with `features.pad_30s` every row is the full window, as Whisper
// was trained (docs/models.md, "Padding to 30 s").
#pragma once

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>

#include "jstip/config.h"
#include "jstip/encoder.h"
#include "jstip/nn/lora_linear.h"
#include "jstip/options.h"
#include "jstip/weights/tensor_source.h"

namespace jstip::whisper {

inline constexpr jstip_option_desc kWhisperOptions[] = {
    {"pretrained", JSTIP_OPT_STRING, "\"\"",
     "Whisper folder: Hugging Face (config.json + safetensors) or CTranslate2 (model.bin); encoder weights only, its sizes override the options"},
    {"input_dim", JSTIP_OPT_INT, "80", "mel bins (HF num_mel_bins)"},
    {"d_model", JSTIP_OPT_INT, "384", "model width"},
    {"num_layers", JSTIP_OPT_INT, "4", "encoder layers (HF encoder_layers)"},
    {"num_heads", JSTIP_OPT_INT, "6", "attention heads (HF encoder_attention_heads)"},
    {"ffn_dim", JSTIP_OPT_INT, "1536", "feed-forward inner width (HF encoder_ffn_dim)"},
    {"max_positions", JSTIP_OPT_INT, "1500", "position table size = longest output (HF max_source_positions)"},
    {"dropout", JSTIP_OPT_FLOAT, "0.0", "dropout on residual branches"},
    {"ctc_vocab", JSTIP_OPT_INT, "0", "size of the CTC head's output (blank included); 0 = no CTC head"},
    {"pool", JSTIP_OPT_INT, "1",
     "mean of every N output frames (50 Hz / N), before the CTC head: a head over a 49k-token vocabulary costs N times less"},
};

struct WhisperConfig {
  int64_t input_dim = 80, d_model = 384, num_layers = 4, num_heads = 6, ffn_dim = 1536, max_positions = 1500;
};

// Conv1d (kernel 3, padding 1) as unfold + matmul on a weight in torch's
// [out, in, 3] layout (HF names and shapes), avoiding LibTorch 1.13's CPU
// conv1d backward (intermittent inf gradients, see docs/models.md).
class WhisperConvImpl : public torch::nn::Module {
 public:
  WhisperConvImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, in] -> [B, T', out]
  torch::Tensor weight, bias;

 private:
  int64_t stride_;
};
TORCH_MODULE(WhisperConv);

class WhisperAttentionImpl : public torch::nn::Module {
 public:
  WhisperAttentionImpl(int64_t d_model, int64_t num_heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);
  jstip::nn::LoraLinear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  int64_t num_heads_;
};
TORCH_MODULE(WhisperAttention);

class WhisperLayerImpl : public torch::nn::Module {
 public:
  WhisperLayerImpl(int64_t d_model, int64_t num_heads, int64_t ffn_dim, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);
  WhisperAttention self_attn{nullptr};
  torch::nn::LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
  jstip::nn::LoraLinear fc1{nullptr}, fc2{nullptr};

 private:
  double dropout_;
};
TORCH_MODULE(WhisperLayer);

class WhisperEncoder : public SpeechEncoder {
 public:
  explicit WhisperEncoder(const Config& options);

  EncoderOutput encode(const torch::Tensor& feats, const torch::Tensor& lengths) override;
  int64_t input_dim() const override { return config_.input_dim; }
  int64_t output_dim() const override { return config_.d_model; }
  int64_t downsampling() const override { return 2 * pool_; }

  static WhisperConfig config_from_hf(const std::string& config_json_path);
  // A Hugging Face Whisper folder as is, a CTranslate2 one (model.bin) under Hugging Face names.
  static std::shared_ptr<const weights::TensorSource> open_pretrained(const std::string& directory);
  // Loads the model.encoder.* (or encoder.*) tensors; decoder tensors are ignored.
  void load_pretrained(const weights::TensorSource& source);

  WhisperConv conv1{nullptr}, conv2{nullptr};
  torch::nn::Embedding embed_positions{nullptr};
  torch::nn::ModuleList layer_stack{nullptr};  // registered as "layers"
  torch::nn::LayerNorm layer_norm{nullptr};
  jstip::nn::LoraLinear ctc_head{nullptr};

 private:
  WhisperConfig config_;
  int64_t pool_ = 1;  // option `pool`
  double dropout_;
  std::vector<WhisperLayer> layer_list_;
};

}  // namespace jstip::whisper
