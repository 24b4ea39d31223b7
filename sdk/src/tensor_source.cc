#include "jstip/weights/tensor_source.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>

#include "jstip/safetensors.h"
#include "jstip/weights/gguf.h"

namespace jstip::weights {
namespace {

namespace fs = std::filesystem;

// A safetensors file, or a Hugging Face folder (one file or an index of shards).
// Tensors are loaded on open: safetensors' own loader already checks every
// offset, and the files jstip reads this way are small enough.
class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(const std::string& path) : path_(path) {
    try {
      tensors_ = fs::is_directory(path) ? safetensors::load_directory(path) : safetensors::load_file(path);
    } catch (const safetensors::SafetensorsError& e) {
      throw WeightsError(e.what());
    }
  }
  const std::string& path() const override { return path_; }
  std::string format() const override { return "safetensors"; }
  std::vector<TensorEntry> entries() const override {
    std::vector<TensorEntry> out;
    for (const auto& item : tensors_) out.push_back(entry(item.first));
    return out;
  }
  bool contains(const std::string& name) const override { return tensors_.count(name) > 0; }
  TensorEntry entry(const std::string& name) const override {
    const torch::Tensor& t = get(name);
    return {name, t.sizes().vec(), safetensors::dtype_name(t.scalar_type())};
  }
  torch::Tensor read(const std::string& name, torch::Dtype dtype) const override {
    const torch::Tensor& t = get(name);
    return t.to(dtype).contiguous();
  }

 private:
  const torch::Tensor& get(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw WeightsError("safetensors '" + path_ + "': has no tensor '" + name + "'");
    return it->second;
  }
  std::string path_;
  safetensors::TensorMap tensors_;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TensorSource::~TensorSource() = default;

std::unique_ptr<TensorSource> open_tensor_source(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / "model.safetensors") || fs::exists(fs::path(path) / "model.safetensors.index.json"))
      return std::make_unique<SafetensorsSource>(path);
    throw WeightsError("'" + path + "': a weights folder needs model.safetensors or model.safetensors.index.json");
  }
  if (!fs::exists(path, ec)) throw WeightsError("'" + path + "': no such file or folder");
  if (ends_with(path, ".gguf")) return std::make_unique<gguf::GgufFile>(path);
  if (ends_with(path, ".safetensors")) return std::make_unique<SafetensorsSource>(path);
  throw WeightsError("'" + path + "': expected a .gguf file, a .safetensors file or a Hugging Face folder");
}

}  // namespace jstip::weights
