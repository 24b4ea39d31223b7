#include "decoder/weights.h"

#include <torch/torch.h>

#include <filesystem>
#include <stdexcept>

#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"

namespace jstip::decoder {
namespace {
// Shard exports above transformers' default max_shard_size ("5GB").
constexpr uint64_t kMaxShardBytes = 5000000000ull;
}  // namespace

void load_weights(DecoderModel& model, const weights::TensorSource& source, const WeightMapping& mapping) {
  const DecoderConfig& config = model.decoder_config();
  const torch::Dtype dtype = model.dtype();
  jstip::nn::TensorMap tensors;
  for (const auto& entry : source.entries()) {
    const std::string name = mapping.parameter_name ? mapping.parameter_name(entry.name) : entry.name;
    if (name.empty() || (config.tie_word_embeddings && name == "lm_head.weight")) continue;
    torch::Tensor t = source.read(entry.name, dtype);
    tensors[name] = mapping.to_parameter ? mapping.to_parameter(name, std::move(t)) : t;
  }
  const std::string origin = "'" + source.path() + "'";
  auto unused = jstip::nn::load_tensors(model, tensors, origin);
  if (!unused.empty())
    throw std::runtime_error(origin + " has tensor '" + unused.front() + "' that this " + config.family +
                             " model does not use");
}

void save_weights(DecoderModel& model, const std::string& directory, const Json& config_json,
                  const std::function<torch::Tensor(const std::string& name, torch::Tensor tensor)>& to_stored) {
  std::filesystem::create_directories(directory);
  auto tensors = jstip::nn::export_tensors(model);
  if (to_stored)
    for (auto& [name, tensor] : tensors) tensor = to_stored(name, tensor);
  safetensors::save_directory(directory, tensors, kMaxShardBytes);
  write_json_file((std::filesystem::path(directory) / "config.json").string(), config_json);
}

}  // namespace jstip::decoder
