#include "jstip/weights/tensor_source.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>

#include "jstip/json.h"
#include "jstip/safetensors.h"
#include "jstip/weights/ctranslate2.h"
#include "jstip/weights/gguf.h"
#include "safetensors_index.h"

namespace jstip::weights {
namespace {

namespace fs = std::filesystem;

// The safetensors reader's own errors, as the error every weight source throws.
template <typename F>
auto as_weights_error(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const safetensors::SafetensorsError& e) {
    throw WeightsError(e.what());
  } catch (const JsonError& e) {
    throw WeightsError(e.what());
  }
}

// A safetensors file, or a Hugging Face folder (model.safetensors or the shards
// an index lists). Only headers are read on open (each checked by the
// safetensors reader); a tensor is loaded when asked for. Entries are listed in
// name order (a safetensors header is a JSON object: it has no order).
class SafetensorsSource : public TensorSource {
 public:
  explicit SafetensorsSource(const std::string& path) : path_(path) {
    as_weights_error([&] {
      if (fs::is_directory(path)) open_folder();
      else add_file(path, nullptr);
    });
  }
  const std::string& path() const override { return path_; }
  std::string format() const override { return "safetensors"; }
  std::vector<TensorEntry> entries() const override {
    std::vector<TensorEntry> out;
    out.reserve(tensors_.size());
    for (const auto& item : tensors_) out.push_back(to_entry(item.first, item.second));
    return out;
  }
  bool contains(const std::string& name) const override { return tensors_.count(name) > 0; }
  TensorEntry entry(const std::string& name) const override { return to_entry(name, get(name)); }
  torch::Tensor read(const std::string& name, torch::Dtype dtype) const override {
    const Stored& stored = get(name);
    torch::Tensor t = as_weights_error([&] { return safetensors::load_file(stored.file, {name}).at(name); });
    return dtype == torch::ScalarType::Undefined || dtype == t.scalar_type() ? t : t.to(dtype).contiguous();
  }

 private:
  struct Stored {
    std::string file;
    safetensors::TensorInfo info;
  };
  static TensorEntry to_entry(const std::string& name, const Stored& s) { return {name, s.info.shape, s.info.dtype}; }

  const Stored& get(const std::string& name) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw WeightsError("safetensors '" + path_ + "': has no tensor '" + name + "'");
    return it->second;
  }

  // Adds the tensors of one file (all, or those of `only`, each of which it must hold).
  void add_file(const std::string& file, const std::vector<std::string>* only) {
    safetensors::Header header = safetensors::read_header(file);
    if (!only) {
      for (auto& [name, info] : header.tensors) add(name, file, std::move(info));
      return;
    }
    for (const auto& name : *only) {
      auto it = header.tensors.find(name);
      if (it == header.tensors.end())
        throw WeightsError("safetensors '" + path_ + "': the index puts tensor '" + name + "' in '" + file +
                           "', which has no such tensor");
      add(name, file, std::move(it->second));
    }
  }
  void add(const std::string& name, const std::string& file, safetensors::TensorInfo info) {
    if (!tensors_.emplace(name, Stored{file, std::move(info)}).second)
      throw WeightsError("safetensors '" + path_ + "': tensor '" + name + "' appears in more than one file");
  }

  void open_folder() {
    const fs::path dir(path_);
    const fs::path index_path = dir / "model.safetensors.index.json";
    if (!fs::exists(index_path)) {
      const fs::path single = dir / "model.safetensors";
      if (!fs::exists(single))
        throw WeightsError("folder '" + path_ + "' has neither model.safetensors nor model.safetensors.index.json");
      add_file(single.string(), nullptr);
      return;
    }
    for (const auto& [file, names] : safetensors::read_shard_index(index_path.string()))
      add_file((dir / file).string(), &names);
  }

  std::string path_;
  std::map<std::string, Stored> tensors_;
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TensorSource::~TensorSource() = default;

std::unique_ptr<TensorSource> open_tensor_source(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / "model.safetensors", ec) ||
        fs::exists(fs::path(path) / "model.safetensors.index.json", ec))
      return std::make_unique<SafetensorsSource>(path);
    if (fs::exists(fs::path(path) / "model.bin", ec)) return std::make_unique<ctranslate2::ModelBin>(path);
    throw WeightsError("'" + path +
                       "': a weights folder needs model.safetensors or model.safetensors.index.json "
                       "(Hugging Face) or model.bin (CTranslate2) (expected a .gguf file, a .safetensors "
                       "file, a CTranslate2 model.bin, or a folder holding one of those)");
  }
  if (!fs::exists(path, ec)) throw WeightsError("'" + path + "': no such file or folder");
  if (ends_with(path, ".gguf")) return std::make_unique<gguf::GgufFile>(path);
  if (ends_with(path, ".safetensors")) return std::make_unique<SafetensorsSource>(path);
  if (fs::path(path).filename() == "model.bin") return std::make_unique<ctranslate2::ModelBin>(path);
  throw WeightsError("'" + path +
                     "': expected a .gguf file, a .safetensors file, a CTranslate2 model.bin, or a folder "
                     "holding Hugging Face weights (model.safetensors or an index) or a model.bin");
}

}  // namespace jstip::weights
