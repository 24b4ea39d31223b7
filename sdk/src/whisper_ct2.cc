#include "jstip/weights/whisper_ct2.h"

#include <torch/torch.h>

#include <set>

#include "jstip/weights/name_table.h"

namespace jstip::weights {
namespace {

// Scalars CTranslate2 stores beside the weights; check_flags() reads the ones
// that change what the layers compute, the rest are decoding metadata.
const std::set<std::string> kScalars = {
    "encoder/num_heads",        "decoder/num_heads",     "decoder/activation",
    "decoder/alibi",            "decoder/pre_norm",      "decoder/scale_embeddings",
    "decoder/start_from_zero_embedding", "decoder/alignment_heads", "decoder/alignment_layer",
};
// The output projection is tied to the token embedding (an alias in the file).
const char* kTiedProjection = "decoder/projection/weight";

std::string with_layer(std::string s, const std::string& layer) {
  const size_t at = s.find("{L}");
  return at == std::string::npos ? s : s.replace(at, 3, layer);
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t count_layers(const TensorSource& source, const std::string& stack) {
  int64_t n = 0;
  while (source.contains(stack + "/layer_" + std::to_string(n) + "/ffn/linear_0/weight")) ++n;
  return n;
}

}  // namespace

const std::vector<WhisperNameRow>& whisper_name_table() {
  static const std::vector<WhisperNameRow> table = [] {
    std::vector<WhisperNameRow> t = {
        {"model.encoder.conv1.weight", "encoder/conv1/weight", 0, 1},
        {"model.encoder.conv1.bias", "encoder/conv1/bias", 0, 1},
        {"model.encoder.conv2.weight", "encoder/conv2/weight", 0, 1},
        {"model.encoder.conv2.bias", "encoder/conv2/bias", 0, 1},
        {"model.encoder.embed_positions.weight", "encoder/position_encodings/encodings", 0, 1},
        {"model.encoder.layer_norm.weight", "encoder/layer_norm/gamma", 0, 1},
        {"model.encoder.layer_norm.bias", "encoder/layer_norm/beta", 0, 1},
        {"model.decoder.embed_tokens.weight", "decoder/embeddings/weight", 0, 1},
        {"model.decoder.embed_positions.weight", "decoder/position_encodings/encodings", 0, 1},
        {"model.decoder.layer_norm.weight", "decoder/layer_norm/gamma", 0, 1},
        {"model.decoder.layer_norm.bias", "decoder/layer_norm/beta", 0, 1},
    };
    // Layers: both stacks share the self-attention and feed-forward rows.
    for (const char* stack : {"encoder", "decoder"}) {
      const std::string hf = std::string("model.") + stack + ".layers.{L}.";
      const std::string ct2 = std::string(stack) + "/layer_{L}/";
      auto row = [&](const std::string& h, const std::string& c, int part, int parts) {
        t.push_back({h, c, part, parts});
      };
      row(hf + "self_attn_layer_norm.weight", ct2 + "self_attention/layer_norm/gamma", 0, 1);
      row(hf + "self_attn_layer_norm.bias", ct2 + "self_attention/layer_norm/beta", 0, 1);
      row(hf + "self_attn.q_proj.weight", ct2 + "self_attention/linear_0/weight", 0, 3);
      row(hf + "self_attn.k_proj.weight", ct2 + "self_attention/linear_0/weight", 1, 3);
      row(hf + "self_attn.v_proj.weight", ct2 + "self_attention/linear_0/weight", 2, 3);
      row(hf + "self_attn.q_proj.bias", ct2 + "self_attention/linear_0/bias", 0, 3);
      row("", ct2 + "self_attention/linear_0/bias", 1, 3);  // Whisper's k has no bias
      row(hf + "self_attn.v_proj.bias", ct2 + "self_attention/linear_0/bias", 2, 3);
      row(hf + "self_attn.out_proj.weight", ct2 + "self_attention/linear_1/weight", 0, 1);
      row(hf + "self_attn.out_proj.bias", ct2 + "self_attention/linear_1/bias", 0, 1);
      if (std::string(stack) == "decoder") {
        row(hf + "encoder_attn_layer_norm.weight", ct2 + "attention/layer_norm/gamma", 0, 1);
        row(hf + "encoder_attn_layer_norm.bias", ct2 + "attention/layer_norm/beta", 0, 1);
        row(hf + "encoder_attn.q_proj.weight", ct2 + "attention/linear_0/weight", 0, 1);
        row(hf + "encoder_attn.q_proj.bias", ct2 + "attention/linear_0/bias", 0, 1);
        row(hf + "encoder_attn.k_proj.weight", ct2 + "attention/linear_1/weight", 0, 2);
        row(hf + "encoder_attn.v_proj.weight", ct2 + "attention/linear_1/weight", 1, 2);
        row("", ct2 + "attention/linear_1/bias", 0, 2);  // the cross-attention's k has none either
        row(hf + "encoder_attn.v_proj.bias", ct2 + "attention/linear_1/bias", 1, 2);
        row(hf + "encoder_attn.out_proj.weight", ct2 + "attention/linear_2/weight", 0, 1);
        row(hf + "encoder_attn.out_proj.bias", ct2 + "attention/linear_2/bias", 0, 1);
      }
      row(hf + "final_layer_norm.weight", ct2 + "ffn/layer_norm/gamma", 0, 1);
      row(hf + "final_layer_norm.bias", ct2 + "ffn/layer_norm/beta", 0, 1);
      row(hf + "fc1.weight", ct2 + "ffn/linear_0/weight", 0, 1);
      row(hf + "fc1.bias", ct2 + "ffn/linear_0/bias", 0, 1);
      row(hf + "fc2.weight", ct2 + "ffn/linear_1/weight", 0, 1);
      row(hf + "fc2.bias", ct2 + "ffn/linear_1/bias", 0, 1);
    }
    return t;
  }();
  return table;
}

bool is_whisper_ct2(const TensorSource& source) {
  return source.format() == "ctranslate2" && source.contains("encoder/conv1/weight");
}

WhisperCt2AsHf::WhisperCt2AsHf(std::shared_ptr<const TensorSource> ct2) : ct2_(std::move(ct2)) {
  const std::string where = "CTranslate2 Whisper '" + ct2_->path() + "'";
  if (!is_whisper_ct2(*ct2_)) throw WeightsError(where + ": not a Whisper model (expected encoder/conv1/weight)");
  const auto& table = whisper_name_table();
  std::string layer;
  for (const TensorEntry& stored : ct2_->entries()) {
    if (kScalars.count(stored.name) || stored.name == kTiedProjection) continue;
    bool matched = false;
    for (const auto& row : table) {
      if (!match_name(row.ct2, stored.name, &layer)) continue;
      matched = true;
      if (stored.shape.empty() || stored.shape[0] == 0 || stored.shape[0] % row.parts != 0)
        throw WeightsError(where + ": variable '" + stored.name + "' has shape " + shape_text(stored.shape) +
                           "; expected a first dimension that splits into " + std::to_string(row.parts) +
                           " equal non-empty parts");
      if (row.hf.empty()) {
        auto slice = read_rows(stored.name, row.part, row.parts, torch::kFloat32);
        if (slice.abs().max().item<float>() != 0)
          throw WeightsError(where + ": variable '" + stored.name + "' part " + std::to_string(row.part) + " of " +
                             std::to_string(row.parts) +
                             " (the k projection's bias) is not zero; Whisper's k projection has no bias");
        continue;
      }
      Mapped m;
      m.entry.name = with_layer(row.hf, layer);
      m.entry.shape = stored.shape;
      m.entry.shape[0] /= row.parts;
      m.entry.type = stored.type;
      m.ct2 = stored.name;
      m.part = row.part;
      m.parts = row.parts;
      index_[m.entry.name] = mapped_.size();
      mapped_.push_back(std::move(m));
    }
    if (!matched)
      throw WeightsError(where + ": variable '" + stored.name + "' has no Hugging Face name (jstip/weights/whisper_ct2.h)");
  }
  check_flags();

  auto shape = [&](const std::string& name) { return ct2_->entry(name).shape; };
  auto scalar = [&](const std::string& name) { return read_scalar(name); };
  auto conv1 = shape("encoder/conv1/weight");
  if (conv1.size() != 3) throw WeightsError(where + ": variable 'encoder/conv1/weight' is not [d_model, mel bins, 3]");
  sizes_.d_model = conv1[0];
  sizes_.num_mel_bins = conv1[1];
  sizes_.encoder_layers = count_layers(*ct2_, "encoder");
  sizes_.encoder_attention_heads = scalar("encoder/num_heads");
  sizes_.encoder_ffn_dim = shape("encoder/layer_0/ffn/linear_0/weight").at(0);
  sizes_.max_source_positions = shape("encoder/position_encodings/encodings").at(0);
  sizes_.has_decoder = ct2_->contains("decoder/embeddings/weight");
  if (sizes_.has_decoder) {
    sizes_.decoder_layers = count_layers(*ct2_, "decoder");
    sizes_.decoder_attention_heads = scalar("decoder/num_heads");
    sizes_.decoder_ffn_dim = shape("decoder/layer_0/ffn/linear_0/weight").at(0);
    sizes_.vocab_size = shape("decoder/embeddings/weight").at(0);
    sizes_.max_target_positions = shape("decoder/position_encodings/encodings").at(0);
  }
  if (sizes_.encoder_attention_heads <= 0 || sizes_.d_model % sizes_.encoder_attention_heads != 0)
    throw WeightsError(where + ": encoder/num_heads " + std::to_string(sizes_.encoder_attention_heads) +
                       " does not divide d_model " + std::to_string(sizes_.d_model));
}

int64_t WhisperCt2AsHf::read_scalar(const std::string& name) const {
  if (!ct2_->contains(name))
    throw WeightsError("CTranslate2 Whisper '" + ct2_->path() + "': has no variable '" + name + "'");
  const torch::Tensor value = ct2_->read(name, torch::ScalarType::Undefined);
  if (value.numel() != 1)
    throw WeightsError("CTranslate2 Whisper '" + ct2_->path() + "': variable '" + name + "' has shape " +
                       shape_text(value.sizes().vec()) + "; expected one value");
  return value.item<int64_t>();
}

void WhisperCt2AsHf::check_flags() const {
  // name, the value Whisper has, what it means.
  struct Flag {
    const char* name;
    int64_t want;
    const char* meaning;
  };
  const Flag flags[] = {
      {"decoder/pre_norm", 1, "pre-norm layers"},
      {"decoder/activation", 3, "GELU (CTranslate2's ActivationType 3)"},
      {"decoder/alibi", 0, "no ALiBi"},
      {"decoder/scale_embeddings", 0, "unscaled token embeddings"},
      {"decoder/start_from_zero_embedding", 0, "no zero start embedding"},
  };
  for (const auto& flag : flags) {
    if (!ct2_->contains(flag.name)) continue;
    const int64_t value = read_scalar(flag.name);
    if (value != flag.want)
      throw WeightsError("CTranslate2 Whisper '" + ct2_->path() + "': variable '" + flag.name + "' is " +
                         std::to_string(value) + "; Whisper's layout has " + std::to_string(flag.want) + " (" +
                         flag.meaning + ")");
  }
}

std::vector<TensorEntry> WhisperCt2AsHf::entries() const {
  std::vector<TensorEntry> out;
  out.reserve(mapped_.size());
  for (const auto& m : mapped_) out.push_back(m.entry);
  return out;
}

const WhisperCt2AsHf::Mapped& WhisperCt2AsHf::get(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    throw WeightsError("CTranslate2 Whisper '" + ct2_->path() + "': has no tensor '" + name + "' (Hugging Face name)");
  return mapped_[it->second];
}

TensorEntry WhisperCt2AsHf::entry(const std::string& name) const { return get(name).entry; }

torch::Tensor WhisperCt2AsHf::read(const std::string& name, torch::Dtype dtype) const {
  const Mapped& m = get(name);
  return read_rows(m.ct2, m.part, m.parts, dtype);
}

torch::Tensor WhisperCt2AsHf::read_rows(const std::string& ct2, int part, int parts, torch::Dtype dtype) const {
  torch::Tensor whole = ct2_->read(ct2, dtype);
  if (parts == 1) return whole;
  const int64_t rows = whole.size(0) / parts;
  return whole.narrow(0, part * rows, rows).contiguous();
}

Json whisper_hf_config(const WhisperSizes& s, const std::map<std::string, int64_t>& special_ids) {
  Json c = Json::object();
  Json arch = Json::array();
  arch.push(Json::string("WhisperForConditionalGeneration"));
  c.set("architectures", arch);
  c.set("model_type", Json::string("whisper"));
  c.set("activation_function", Json::string("gelu"));
  c.set("num_mel_bins", Json::integer(s.num_mel_bins));
  c.set("d_model", Json::integer(s.d_model));
  c.set("encoder_layers", Json::integer(s.encoder_layers));
  c.set("encoder_attention_heads", Json::integer(s.encoder_attention_heads));
  c.set("encoder_ffn_dim", Json::integer(s.encoder_ffn_dim));
  c.set("max_source_positions", Json::integer(s.max_source_positions));
  if (s.has_decoder) {
    c.set("decoder_layers", Json::integer(s.decoder_layers));
    c.set("decoder_attention_heads", Json::integer(s.decoder_attention_heads));
    c.set("decoder_ffn_dim", Json::integer(s.decoder_ffn_dim));
    c.set("vocab_size", Json::integer(s.vocab_size));
    c.set("max_target_positions", Json::integer(s.max_target_positions));
  }
  c.set("scale_embedding", Json::boolean(false));
  c.set("tie_word_embeddings", Json::boolean(true));
  c.set("torch_dtype", Json::string("float32"));
  for (const auto& [key, id] : special_ids) c.set(key, Json::integer(id));
  return c;
}

}  // namespace jstip::weights
