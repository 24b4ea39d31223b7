// Whisper stored by CTranslate2 (a `WhisperSpec` model.bin, the layout
// faster-whisper ships), seen under Hugging Face's names.
//
// CTranslate2 fuses the self-attention's q, k and v projections into one
// `self_attention/linear_0` ([3d, d] + bias) and the cross-attention's k and v
// into `attention/linear_1`; Whisper's k projection has no bias, so its slice
// of each fused bias must be zero (checked on open: a file whose k bias is not
// zero is a different model and is refused). The table below is the whole
// mapping, one row per Hugging Face tensor (docs/models.md prints it).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jstip/json.h"
#include "jstip/weights/tensor_source.h"

namespace jstip::weights {

// One Hugging Face tensor and where it lives in the CT2 file: rows
// [part * n / parts, (part + 1) * n / parts) of `ct2` (part 0 of 1: all of it).
// An empty `hf` marks a slice no Hugging Face tensor takes (a bias Whisper
// does not have), which must be zero. "{L}" stands for the layer number.
struct WhisperNameRow {
  std::string hf;
  std::string ct2;
  int part = 0;
  int parts = 1;
};
JSTIP_API const std::vector<WhisperNameRow>& whisper_name_table();

// Whisper's sizes, read off the tensors' shapes and the CT2 scalars
// (encoder/num_heads, decoder/num_heads).
struct WhisperSizes {
  int64_t num_mel_bins = 0, d_model = 0, encoder_layers = 0, encoder_attention_heads = 0, encoder_ffn_dim = 0,
          max_source_positions = 0;
  bool has_decoder = false;
  int64_t decoder_layers = 0, decoder_attention_heads = 0, decoder_ffn_dim = 0, vocab_size = 0,
          max_target_positions = 0;
};

// A CT2 Whisper source under Hugging Face names ("model.encoder.layers.0.
// self_attn.q_proj.weight"); reading a split tensor reads its rows of the
// fused one. Throws WeightsError naming the file and the variable when the
// source is not a Whisper model, a CT2 variable has no Hugging Face name, a
// fused k bias is not zero, or a flag this layout assumes (pre-norm, GELU,
// no ALiBi, unscaled embeddings) says otherwise.
class JSTIP_API WhisperCt2AsHf : public TensorSource {
 public:
  explicit WhisperCt2AsHf(std::shared_ptr<const TensorSource> ct2);

  const std::string& path() const override { return ct2_->path(); }
  std::string format() const override { return ct2_->format(); }
  std::vector<TensorEntry> entries() const override;  // Hugging Face names, in table order
  bool contains(const std::string& name) const override { return index_.count(name) > 0; }
  TensorEntry entry(const std::string& name) const override;
  torch::Tensor read(const std::string& name, torch::Dtype dtype) const override;

  const WhisperSizes& sizes() const { return sizes_; }

 private:
  struct Mapped {
    TensorEntry entry;  // Hugging Face name and shape, the CT2 type
    std::string ct2;
    int part = 0, parts = 1;
  };
  const Mapped& get(const std::string& name) const;
  torch::Tensor read_rows(const std::string& ct2, int part, int parts, torch::Dtype dtype) const;
  void check_flags() const;
  int64_t read_scalar(const std::string& name) const;  // a one-value variable; errors name the file and it

  std::shared_ptr<const TensorSource> ct2_;
  std::vector<Mapped> mapped_;
  std::map<std::string, size_t> index_;
  WhisperSizes sizes_;
};

// True when `source` holds a CTranslate2 Whisper model (its format is
// "ctranslate2" and it has encoder/conv1/weight).
JSTIP_API bool is_whisper_ct2(const TensorSource& source);

// transformers' config.json for these sizes (model_type whisper, GELU,
// WhisperForConditionalGeneration); `special_ids` adds the token ids a
// tokenizer.json names (bos/eos/pad/decoder_start) when the caller knows them.
JSTIP_API Json whisper_hf_config(const WhisperSizes& sizes, const std::map<std::string, int64_t>& special_ids = {});

}  // namespace jstip::weights
