// Llama-family models from llama.cpp GGUF files: the config from the file's
// metadata, the weights through the name table (llama_names.h), quantized
// tensors dequantized by the SDK's reader, and Q/K rows un-permuted.
#include <torch/torch.h>

#include <stdexcept>

#include "decoder/weights.h"
#include "jstip/weights/gguf.h"
#include "llama_model.h"
#include "llama_names.h"

namespace jstip::llama {
namespace {

// llama.cpp's converter permutes the rows of Q and K for its rotary layout
// (convert_hf_to_gguf.py LlamaModel.permute: reshape(n_head, 2, rows/n_head/2,
// in).swapaxes(1, 2)). The inverse gives the Hugging Face layout back.
torch::Tensor unpermute_rows(const torch::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0);
  auto rest = w.sizes().slice(1).vec();
  std::vector<int64_t> shape{heads, rows / heads / 2, 2};
  shape.insert(shape.end(), rest.begin(), rest.end());
  return w.reshape(shape).transpose(1, 2).reshape(w.sizes()).contiguous();
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

LlamaConfig config_from_gguf(const std::string& path) {
  const gguf::GgufFile file(path);
  const std::string arch = file.get_string("general.architecture");
  if (arch != "llama" && arch != "qwen2")
    throw std::runtime_error(path + ": general.architecture '" + arch + "' is not a llama-family model (llama, qwen2)");
  auto key = [&](const std::string& name) { return arch + "." + name; };
  LlamaConfig c;
  c.model_type = arch;
  c.hidden_size = file.get_int(key("embedding_length"));
  c.intermediate_size = file.get_int(key("feed_forward_length"));
  c.num_layers = file.get_int(key("block_count"));
  c.num_heads = file.get_int(key("attention.head_count"));
  c.num_kv_heads = file.get_int(key("attention.head_count_kv"), c.num_heads);
  c.rope_theta = file.get_float(key("rope.freq_base"), 10000.0);
  c.rms_norm_eps = file.get_float(key("attention.layer_norm_rms_epsilon"));
  c.max_position_embeddings = file.get_int(key("context_length"), c.max_position_embeddings);
  c.vocab_size = file.has(key("vocab_size")) ? file.get_int(key("vocab_size"))
                                              : int64_t(file.get_strings("tokenizer.ggml.tokens").size());
  c.tie_word_embeddings = !file.contains("output.weight");
  c.attention_bias = file.contains("blk.0.attn_q.bias");
  if (file.has(key("rope.dimension_count")) && file.get_int(key("rope.dimension_count")) != c.head_dim())
    throw std::runtime_error(path + ": " + key("rope.dimension_count") + " differs from the head size " +
                             std::to_string(c.head_dim()) + " (partial rotary is not supported)");
  const std::string scaling = file.get_string(key("rope.scaling.type"), "none");
  if (scaling != "none")
    throw std::runtime_error(path + ": " + key("rope.scaling.type") + " '" + scaling + "' is not supported");
  try {
    c.validate();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
  return c;
}

void LlamaModel::load_gguf(const std::string& path) {
  const LlamaConfig stored = config_from_gguf(path);
  if (stored.hidden_size != config_.hidden_size || stored.num_layers != config_.num_layers ||
      stored.vocab_size != config_.vocab_size || stored.num_kv_heads != config_.num_kv_heads)
    throw std::runtime_error(path + ": sizes differ from this model's (build the model from the file: llm.pretrained)");
  const gguf::GgufFile file(path);
  // Only llama's converter permutes Q/K; qwen2's keeps the HF layout.
  const bool permuted = config_.model_type == "llama";
  decoder::WeightMapping mapping;
  mapping.parameter_name = [&](const std::string& name) {
    const std::string hf = weights::hf_name_of_gguf(kLlamaNames, name);
    if (hf.empty() && name != "rope_freqs.weight")  // llama3 rope factors: refused in config_from_gguf
      throw std::runtime_error(path + ": tensor '" + name + "' has no place in a llama model");
    return hf;
  };
  mapping.to_parameter = [&](const std::string& name, torch::Tensor t) {
    if (permuted && ends_with(name, "q_proj.weight")) return unpermute_rows(t, config_.num_heads);
    if (permuted && ends_with(name, "k_proj.weight")) return unpermute_rows(t, config_.num_kv_heads);
    return t;
  };
  decoder::load_weights(*this, file, mapping);
}

}  // namespace jstip::llama
