#include "host/train/pretrained_architecture.h"

#include <cstdio>
#include <filesystem>

#include "jstip/json.h"
#include "jstip/weights/gguf.h"
#include "jstip/weights/tensor_source.h"
#include "jstip/weights/whisper_ct2.h"

namespace fs = std::filesystem;

namespace jstip::train {
namespace {

std::string integer(int64_t value) { return std::to_string(value); }
std::string boolean(bool value) { return value ? "true" : "false"; }
std::string real(double value) {  // 17 digits: the option reads back the same double
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

bool is_gguf(const std::string& path) { return fs::path(path).extension() == ".gguf"; }
std::string config_json(const std::string& folder) { return (fs::path(folder) / "config.json").string(); }

// llama_config.cc config_from_hf.
std::optional<SlotOptions> llama_from_hf(const std::string& path) {
  const Json j = read_json_file(path);
  const int64_t heads = j.get_int("num_attention_heads", 8);
  const std::string model_type = j.get_string("model_type", "llama");
  if (const Json* scaling = j.find("rope_scaling"); scaling && !scaling->is_null()) {
    const std::string type = scaling->get_string("rope_type", scaling->get_string("type", "default"));
    if (type != "default") return std::nullopt;  // no option says rope_scaling
  }
  return SlotOptions{{"model_type", model_type == "qwen2" ? "qwen2" : "llama"},
                     {"vocab_size", integer(j.get_int("vocab_size", 32000))},
                     {"hidden_size", integer(j.get_int("hidden_size", 512))},
                     {"intermediate_size", integer(j.get_int("intermediate_size", 1408))},
                     {"num_layers", integer(j.get_int("num_hidden_layers", 8))},
                     {"num_heads", integer(heads)},
                     {"num_key_value_heads", integer(j.get_int("num_key_value_heads", heads))},
                     {"rope_theta", real(j.get_double("rope_theta", 10000.0))},
                     {"rms_norm_eps", real(j.get_double("rms_norm_eps", 1e-6))},
                     {"tie_word_embeddings", boolean(j.get_bool("tie_word_embeddings", false))},
                     {"attention_bias", boolean(j.get_bool("attention_bias", model_type == "qwen2"))},
                     {"max_position_embeddings", integer(j.get_int("max_position_embeddings", 4096))}};
}

// llama_gguf.cc config_from_gguf.
std::optional<SlotOptions> llama_from_gguf(const std::string& path) {
  const gguf::GgufFile file(path);
  const std::string arch = file.get_string("general.architecture");
  auto key = [&](const std::string& name) { return arch + "." + name; };
  if (file.get_string(key("rope.scaling.type"), "none") != "none") return std::nullopt;
  const int64_t heads = file.get_int(key("attention.head_count"));
  const int64_t vocab = file.has(key("vocab_size")) ? file.get_int(key("vocab_size"))
                                                     : int64_t(file.get_strings("tokenizer.ggml.tokens").size());
  return SlotOptions{{"model_type", arch},
                     {"vocab_size", integer(vocab)},
                     {"hidden_size", integer(file.get_int(key("embedding_length")))},
                     {"intermediate_size", integer(file.get_int(key("feed_forward_length")))},
                     {"num_layers", integer(file.get_int(key("block_count")))},
                     {"num_heads", integer(heads)},
                     {"num_key_value_heads", integer(file.get_int(key("attention.head_count_kv"), heads))},
                     {"rope_theta", real(file.get_float(key("rope.freq_base"), 10000.0))},
                     {"rms_norm_eps", real(file.get_float(key("attention.layer_norm_rms_epsilon")))},
                     {"tie_word_embeddings", boolean(!file.contains("output.weight"))},
                     {"attention_bias", boolean(file.contains("blk.0.attn_q.bias"))},
                     {"max_position_embeddings", integer(file.get_int(key("context_length"), 4096))}};
}

// gpt2_config.cc config_from_hf.
SlotOptions gpt2_from_hf(const std::string& path) {
  const Json j = read_json_file(path);
  return {{"vocab_size", integer(j.get_int("vocab_size", 50257))},
          {"hidden_size", integer(j.get_int("n_embd", 768))},
          {"num_layers", integer(j.get_int("n_layer", 12))},
          {"num_heads", integer(j.get_int("n_head", 12))},
          {"max_position_embeddings", integer(j.get_int("n_positions", 1024))},
          {"intermediate_size", integer(j.get_int("n_inner", 0))},
          {"layer_norm_eps", real(j.get_double("layer_norm_epsilon", 1e-5))},
          {"tie_word_embeddings", boolean(j.get_bool("tie_word_embeddings", true))}};
}

// whisper_encoder.cc config_from_hf.
SlotOptions whisper_from_hf(const std::string& path) {
  const Json j = read_json_file(path);
  return {{"input_dim", integer(j.get_int("num_mel_bins", 80))},
          {"d_model", integer(j.get_int("d_model", 384))},
          {"num_layers", integer(j.get_int("encoder_layers", 4))},
          {"num_heads", integer(j.get_int("encoder_attention_heads", 6))},
          {"ffn_dim", integer(j.get_int("encoder_ffn_dim", 1536))},
          {"max_positions", integer(j.get_int("max_source_positions", 1500))}};
}

}  // namespace

std::optional<SlotOptions> architecture_options(const std::string& plugin, const std::string& pretrained) {
  if (plugin == "transformer" || plugin == "conformer") return SlotOptions{};
  if (plugin == "llama")
    return is_gguf(pretrained) ? llama_from_gguf(pretrained) : llama_from_hf(config_json(pretrained));
  if (plugin == "gpt2") return gpt2_from_hf(config_json(pretrained));
  if (plugin == "whisper") {
    // A CTranslate2 folder: its sizes come from the tensors' shapes, as whisper_encoder.cc reads them.
    std::shared_ptr<const weights::TensorSource> source = weights::open_tensor_source(pretrained);
    if (weights::is_whisper_ct2(*source)) {
      const weights::WhisperCt2AsHf view(source);
      const weights::WhisperSizes& s = view.sizes();
      return SlotOptions{{"input_dim", integer(s.num_mel_bins)},     {"d_model", integer(s.d_model)},
                         {"num_layers", integer(s.encoder_layers)},   {"num_heads", integer(s.encoder_attention_heads)},
                         {"ffn_dim", integer(s.encoder_ffn_dim)},     {"max_positions", integer(s.max_source_positions)}};
    }
    return whisper_from_hf(config_json(pretrained));
  }
  return std::nullopt;
}

}  // namespace jstip::train
