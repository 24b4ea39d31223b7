#include "layers/encoder_common.h"

#include <torch/torch.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"

namespace jstip::layers {

void check_encoder_inputs(const char* plugin, const torch::Tensor& feats, const torch::Tensor& lengths,
                          int64_t input_dim) {
  auto fail = [&](const std::string& what) { throw std::invalid_argument(std::string(plugin) + ": " + what); };
  std::ostringstream shape;
  shape << feats.sizes();
  if (feats.dim() != 3 || feats.size(2) != input_dim)
    fail("feats must be [B, T, " + std::to_string(input_dim) + "], got " + shape.str());
  if (!feats.is_floating_point()) fail("feats must be floating point");
  if (lengths.dim() != 1 || lengths.size(0) != feats.size(0))
    fail("lengths must be [B] with B = " + std::to_string(feats.size(0)));
  if (lengths.numel() > 0) {
    auto min = lengths.min().item<int64_t>(), max = lengths.max().item<int64_t>();
    if (min < 0 || max > feats.size(1))
      fail("lengths must lie in [0, " + std::to_string(feats.size(1)) + "], got [" + std::to_string(min) + ", " +
           std::to_string(max) + "]");
  }
}

void load_module_weights(torch::nn::Module& module, const std::string& path, const char* plugin) {
  auto tensors = std::filesystem::is_directory(path) ? safetensors::load_directory(path) : safetensors::load_file(path);
  auto unused = jstip::nn::load_tensors(module, tensors, "'" + path + "'");
  if (!unused.empty())
    throw std::runtime_error(std::string(plugin) + ": '" + path + "' has tensor '" + unused.front() +
                             "' that this model does not have");
}

}  // namespace jstip::layers
