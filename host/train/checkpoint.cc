#include "host/train/checkpoint.h"

#include <c10/util/string_utils.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "host/train/checkpoint_sources.h"
#include "host/train/tensor_hash.h"
#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"

namespace fs = std::filesystem;

namespace jstip::train {
namespace {

std::string step_folder_name(int64_t step) {
  std::ostringstream name;
  name << "step-" << std::setw(8) << std::setfill('0') << step;
  return name.str();
}

void write_text_atomically(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw std::runtime_error(path.string() + ": write failed (disk full?)");
    }
  }
  fs::rename(tmp, path);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot read");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string state_key(const torch::Tensor& parameter) {
  return c10::guts::to_string(parameter.unsafeGetTensorImpl());
}

// What this checkpoint takes from outside: per pretrained slot, the weights
// that still equal the file's (never stepped by the optimizer, same hash as
// loaded) when they are at least half of the slot's bytes; else nothing.
CheckpointManifest manifest_of(const CheckpointSources& sources, torch::nn::Module& model,
                               torch::optim::AdamW* optimizer) {
  CheckpointManifest manifest;
  if (!sources.tokenizer_folder.empty()) manifest.tokenizer = sources.tokenizer;
  manifest.chat_template = sources.chat_template;
  auto children = model.named_children();
  for (const SlotBase& base : sources.bases) {
    SlotSource slot;
    slot.slot = base.slot;
    slot.pretrained = base.pretrained;
    slot.architecture_in_config = base.architecture_in_config;
    int64_t slot_bytes = 0, unchanged_bytes = 0;
    std::map<std::string, uint64_t> unchanged;
    for (const auto& p : children[base.slot]->named_parameters()) {
      const int64_t bytes = p.value().numel() * static_cast<int64_t>(p.value().element_size());
      slot_bytes += bytes;
      const std::string name = base.slot + "." + p.key();
      auto loaded = base.tensor_hashes.find(name);
      if (loaded == base.tensor_hashes.end()) continue;  // added since loading (LoRA adapters)
      if (optimizer && optimizer->state().count(state_key(p.value()))) continue;  // stepped
      if (tensor_hash(p.value()) != loaded->second) continue;  // changed otherwise (a LoRA merged into it)
      unchanged[name] = loaded->second;
      unchanged_bytes += bytes;
    }
    if (!unchanged.empty() && 2 * unchanged_bytes >= slot_bytes) {
      slot.weights_inside = false;
      slot.omitted = std::move(unchanged);
    }
    manifest.slots.push_back(std::move(slot));
  }
  return manifest;
}

// `to` mirrors `from`, its files hard-linked (copied where links fail, e.g. across file systems).
void link_folder(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (const auto& entry : fs::recursive_directory_iterator(from)) {
    const fs::path target = to / fs::relative(entry.path(), from);
    if (entry.is_directory()) {
      fs::create_directories(target);
      continue;
    }
    std::error_code ec;
    fs::create_hard_link(entry.path(), target, ec);
    if (ec) fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
  }
}

// The tensors `manifest` left to pretrained files, taken from `model` (composed
// with those files) after checking each still has the hash it had when training started.
void add_omitted_tensors(const CheckpointManifest& manifest, torch::nn::Module& model, const fs::path& dir,
                         safetensors::TensorMap* tensors) {
  const std::string weights = (dir / "model.safetensors").string();
  auto parameters = model.named_parameters();
  for (const SlotSource& slot : manifest.slots)
    for (const auto& [name, hash] : slot.omitted) {
      const torch::Tensor* p = parameters.find(name);
      if (!p)
        throw std::runtime_error((dir / kSourcesFile).string() + " leaves '" + name + "' to " + slot.pretrained.key +
                                 ", but this model has no such tensor (a different composition)");
      if (tensors->count(name))
        throw std::runtime_error(weights + " holds '" + name + "', which " + kSourcesFile + " says it leaves out");
      if (tensor_hash(*p) != hash)
        throw std::runtime_error(
            weights + " leaves '" + name + "' to " + slot.pretrained.key + " = " + slot.pretrained.path +
            ", but the model built now has other values for it than training started from: the file differs from "
            "the one recorded in " + kSourcesFile + ", or the slot was built another way (its options, dtype, plugin)");
      (*tensors)[name] = p->detach();
    }
}

safetensors::TensorMap optimizer_tensors(torch::nn::Module& model, torch::optim::AdamW& optimizer) {
  safetensors::TensorMap tensors;
  auto& state = optimizer.state();
  for (const auto& p : model.named_parameters()) {
    auto found = state.find(state_key(p.value()));
    if (found == state.end()) continue;
    auto& s = static_cast<torch::optim::AdamWParamState&>(*found->second);
    tensors[p.key() + ".exp_avg"] = s.exp_avg();
    tensors[p.key() + ".exp_avg_sq"] = s.exp_avg_sq();
    tensors[p.key() + ".step"] = torch::tensor({s.step()}, torch::kLong);
  }
  return tensors;
}

void load_optimizer(const std::string& path, torch::nn::Module& model, torch::optim::AdamW& optimizer) {
  auto tensors = safetensors::load_file(path);
  auto& state = optimizer.state();
  state.clear();
  for (const auto& p : model.named_parameters()) {
    auto avg = tensors.find(p.key() + ".exp_avg");
    if (avg == tensors.end()) continue;  // never stepped (frozen so far)
    auto sq = tensors.find(p.key() + ".exp_avg_sq");
    auto step = tensors.find(p.key() + ".step");
    if (sq == tensors.end() || step == tensors.end())
      throw std::runtime_error(path + ": optimizer state of '" + p.key() + "' is incomplete");
    if (avg->second.sizes() != p.value().sizes())
      throw std::runtime_error(path + ": optimizer state of '" + p.key() + "' has the wrong shape");
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    s->step(step->second.item<int64_t>());
    s->exp_avg(avg->second.to(p.value().options()).contiguous());
    s->exp_avg_sq(sq->second.to(p.value().options()).contiguous());
    state[state_key(p.value())] = std::move(s);
  }
}

}  // namespace

std::string save_checkpoint(const std::string& checkpoint_root, int64_t step, torch::nn::Module& model,
                            torch::optim::AdamW* optimizer, const CheckpointContent& content) {
  fs::create_directories(checkpoint_root);
  const fs::path final_dir = fs::path(checkpoint_root) / step_folder_name(step);
  const fs::path tmp_dir = fs::path(checkpoint_root) / (step_folder_name(step) + ".tmp-" + std::to_string(::getpid()));
  // Half-written folders of a killed earlier run (one trainer writes a run at a time).
  for (const auto& entry : fs::directory_iterator(checkpoint_root))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) fs::remove_all(entry.path());
  try {
    fs::create_directories(tmp_dir);
    safetensors::TensorMap tensors = checkpoint_tensors(model);
    if (content.sources) {
      const CheckpointManifest manifest = manifest_of(*content.sources, model, optimizer);
      for (const SlotSource& slot : manifest.slots)
        for (const auto& omitted : slot.omitted) tensors.erase(omitted.first);
      if (!content.sources->tokenizer_folder.empty())
        link_folder(content.sources->tokenizer_folder, tmp_dir / kTokenizerFolder);
      write_json_file((tmp_dir / kSourcesFile).string(), to_json(manifest));
    }
    safetensors::save_file((tmp_dir / "model.safetensors").string(), tensors);
    if (optimizer)
      safetensors::save_file((tmp_dir / "optimizer.safetensors").string(), optimizer_tensors(model, *optimizer));
    write_json_file((tmp_dir / "trainer_state.json").string(), content.trainer_state);
    write_text_atomically(tmp_dir / "config.yaml", content.config_yaml);
    fs::remove_all(final_dir);  // a checkpoint of the same step from an earlier, resumed run
    fs::rename(tmp_dir, final_dir);
    write_text_atomically(fs::path(checkpoint_root) / "latest", final_dir.filename().string() + "\n");
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove_all(tmp_dir, ec);
    throw std::runtime_error("saving checkpoint " + final_dir.string() + " failed; earlier checkpoints are intact: " +
                             e.what());
  }
  return final_dir.string();
}

CheckpointContent load_checkpoint(const std::string& folder, torch::nn::Module& model,
                                  torch::optim::AdamW* optimizer) {
  const fs::path dir(folder);
  auto tensors = safetensors::load_file((dir / "model.safetensors").string());
  if (const auto manifest = read_manifest(folder)) add_omitted_tensors(*manifest, model, dir, &tensors);
  auto unexpected = jstip::nn::load_tensors(model, tensors, (dir / "model.safetensors").string());
  if (!unexpected.empty()) {
    std::string names;
    for (size_t i = 0; i < unexpected.size() && i < 5; ++i) names += (i ? ", " : "") + unexpected[i];
    throw std::runtime_error((dir / "model.safetensors").string() + " is from a different composition: it has " +
                             std::to_string(unexpected.size()) + " tensors this model lacks (" + names + ")");
  }
  if (optimizer && fs::exists(dir / "optimizer.safetensors"))
    load_optimizer((dir / "optimizer.safetensors").string(), model, *optimizer);
  CheckpointContent content;
  content.trainer_state = read_json_file((dir / "trainer_state.json").string());
  content.config_yaml = read_text(dir / "config.yaml");
  return content;
}

safetensors::TensorMap checkpoint_tensors(torch::nn::Module& model) {
  safetensors::TensorMap tensors;
  for (const auto& p : model.named_parameters()) tensors[p.key()] = p.value().detach();
  for (const auto& b : model.named_buffers()) tensors[b.key()] = b.value().detach();
  return tensors;
}

std::string resolve_checkpoint(const std::string& path) {
  fs::path p(path);
  if (fs::exists(p / "model.safetensors")) return p.string();
  for (const fs::path& root : {p, p / "checkpoints"}) {
    if (!fs::exists(root / "latest")) continue;
    std::string name = read_text(root / "latest");
    name.erase(name.find_last_not_of(" \n\r\t") + 1);
    if (fs::exists(root / name / "model.safetensors")) return (root / name).string();
    // Killed while re-saving the step `latest` names (its old folder removed,
    // the new one not yet renamed in): the newest whole checkpoint instead.
    std::string newest;
    for (const auto& entry : fs::directory_iterator(root)) {
      const std::string folder = entry.path().filename().string();
      if (folder.rfind("step-", 0) == 0 && folder.find(".tmp") == std::string::npos &&
          fs::exists(entry.path() / "model.safetensors") && folder > newest)
        newest = folder;
    }
    if (!newest.empty()) return (root / newest).string();
  }
  return "";
}

std::string find_best_checkpoint(const std::string& recorded, const std::string& checkpoint) {
  if (recorded.empty()) return "";
  // The run's own folder first: a copied run must not read the original's checkpoints.
  for (const fs::path& candidate : {fs::path(checkpoint).parent_path() / fs::path(recorded).filename(), fs::path(recorded)})
    if (fs::exists(candidate / "model.safetensors")) return candidate.string();
  return "";
}

void prune_checkpoints(const std::string& checkpoint_root, int64_t keep_last, const std::string& protect) {
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator(checkpoint_root)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && name.rfind("step-", 0) == 0 && name.find(".tmp") == std::string::npos)
      folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  const int64_t excess = static_cast<int64_t>(folders.size()) - keep_last;
  for (int64_t i = 0; i < excess; ++i)
    if (protect.empty() || fs::path(protect).filename() != folders[i].filename()) fs::remove_all(folders[i]);
}

}  // namespace jstip::train
