#include "host/decode/decode_model.h"

#include <torch/torch.h>

#include <filesystem>

#include "host/data/tokenizer.h"
#include "host/data/tokenizer_fingerprint.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/config_loader.h"
#include "host/train/checkpoint.h"
#include "host/train/checkpoint_sources.h"
#include "host/train/pretrained_record.h"
#include "host/train/stage_setup.h"
#include "host/train/train_options.h"
#include "jstip/json.h"
#include "jstip/llm.h"

namespace fs = std::filesystem;

namespace jstip::decode {
namespace {

// The checkpoint's own files in place of the paths its config names (which
// may be relative to where training ran, or gone): its tokenizer copy and chat
// template, each pretrained file it needs at its recorded absolute path, and
// no pretrained file for a slot whose weights and sizes it holds.
void point_at_checkpoint_files(const ConfigNodePtr& root, const std::string& folder,
                               const train::CheckpointManifest& manifest) {
  const fs::path dir = fs::absolute(folder).lexically_normal();
  const std::string origin = "checkpoint " + folder + " (" + train::kSourcesFile + ")";
  if (manifest.tokenizer && fs::exists(dir / train::kTokenizerFolder / manifest.tokenizer->file))
    train::set_config_scalar(root, "tokenizer.model", (dir / train::kTokenizerFolder / manifest.tokenizer->file).string(),
                             origin);
  if (manifest.chat_template && fs::exists(dir / train::kChatTemplateFolder))
    train::set_config_scalar(root, "prompt.chat_template", (dir / train::kChatTemplateFolder).string(), origin);
  for (const train::SlotSource& slot : manifest.slots)
    train::set_config_scalar(root, slot.pretrained.key, slot.needs_file() ? slot.pretrained.path : "", origin);
}

// Every pretrained file the checkpoint needs, at the path the config names
// now, against its record: before composing reads any of them.
void check_pretrained_files(const train::CheckpointManifest& manifest, const Config& config,
                            const std::string& folder) {
  for (const train::SlotSource& slot : manifest.slots)
    if (slot.needs_file())
      train::check_pretrained(slot.pretrained, config.get_string(slot.pretrained.key, ""), folder,
                              slot.weights_inside ? "the sizes of" : "the frozen base");
}

}  // namespace

std::string resolve_decode_checkpoint(const std::string& path) {
  if (!fs::exists(path)) throw std::runtime_error("checkpoint " + path + ": no such file or folder");
  if (fs::exists(fs::path(path) / "model.safetensors")) return path;
  const std::string latest = train::resolve_checkpoint(path);
  if (latest.empty())
    throw std::runtime_error(path + ": no checkpoint found (expected a step folder with model.safetensors, or a "
                                    "run/checkpoints folder with a `latest` file)");
  const fs::path state_path = fs::path(latest) / "trainer_state.json";
  if (fs::exists(state_path)) {
    const std::string best =
        train::find_best_checkpoint(read_json_file(state_path.string()).get_string("best_checkpoint", ""), latest);
    if (!best.empty()) return best;
  }
  return latest;
}

torch::Device parse_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    throw std::invalid_argument("device '" + name + "': expected cpu, cuda or cuda:N");
  }
  if (device.is_cuda() && !torch::cuda::is_available())
    throw std::runtime_error("device '" + name + "': no CUDA device is available to this LibTorch");
  return device;
}

Config load_checkpoint_config(const std::string& folder, const std::vector<std::string>& overrides) {
  const std::string config_path = (fs::path(folder) / "config.yaml").string();
  if (!fs::exists(config_path))
    throw std::runtime_error(folder + ": no config.yaml (the resolved training config) in the checkpoint");
  Config config = host::load_config({config_path}, {});
  if (const auto manifest = train::read_manifest(folder)) point_at_checkpoint_files(config.node(), folder, *manifest);
  for (const auto& assignment : overrides) host::apply_override(config.node(), assignment);
  return config;
}

DecodeModel load_decode_model(const std::string& folder, const Config& config, const torch::Device& device) {
  DecodeModel out;
  out.checkpoint = folder;
  const std::string config_path = (fs::path(folder) / "config.yaml").string();
  const auto manifest = train::read_manifest(folder);
  if (manifest) check_pretrained_files(*manifest, config, folder);
  // The plugins initialize as in training, so weights left to a pretrained file
  // are the ones training started from (load_checkpoint checks their hashes).
  torch::manual_seed(static_cast<uint64_t>(config.get_int("seed", 0)));
  host::ComposeOptions options;
  options.need_interleaver = false;  // decoding builds its own asr prefix (decode_prompt.h)
  out.composition = host::compose(config, options);
  const Config& resolved = out.composition.config;

  const std::string tokenizer_path = resolved.get_string("tokenizer.model", "");
  if (tokenizer_path.empty()) throw ConfigError(config_path + ": no tokenizer.model");
  if (!fs::exists(tokenizer_path))
    throw std::runtime_error(config_path + ": tokenizer.model " + tokenizer_path +
                             " does not exist (moved? give tokenizer.model=PATH)");
  out.tokenizer = data::load_tokenizer(tokenizer_path);

  out.model = std::make_shared<graph::SpeechLLM>(out.composition);
  if (out.tokenizer->vocab_size() > out.model->llm().vocab_size())
    throw ConfigError(config_path + ": tokenizer " + tokenizer_path + " has " +
                      std::to_string(out.tokenizer->vocab_size()) + " pieces but llm.vocab_size is " +
                      std::to_string(out.model->llm().vocab_size()));
  // The parameter structure the run had at this checkpoint (slot and stage LoRA adapters).
  train::apply_slot_training_options(*out.model, resolved);
  // The tokenizer must be the one the checkpoint was trained with: its own copy
  // as sources.json recorded it (a .gguf's is converted, so its bytes are not
  // the original's), else the original's fingerprint in trainer_state.json.
  const data::TokenizerFingerprint given = data::fingerprint_tokenizer(tokenizer_path, out.tokenizer->vocab_size());
  const std::string own_copy =
      manifest && manifest->tokenizer
          ? (fs::absolute(folder) / train::kTokenizerFolder / manifest->tokenizer->file).lexically_normal().string()
          : "";
  const bool reads_own_copy = !own_copy.empty() && fs::absolute(tokenizer_path).lexically_normal() == own_copy;
  if (reads_own_copy) {
    const data::TokenizerFingerprint& recorded = manifest->tokenizer->fingerprint;
    if (given.crc32c != recorded.crc32c || given.pieces != recorded.pieces)
      throw std::runtime_error(own_copy + ": the checkpoint's tokenizer copy changed since it was written (" +
                               std::to_string(given.pieces) + " pieces, crc32c " + train::crc32c_hex(given.crc32c) +
                               "; recorded " + std::to_string(recorded.pieces) + ", " +
                               train::crc32c_hex(recorded.crc32c) + "). Give the tokenizer it was trained with (" +
                               manifest->tokenizer->source + "): tokenizer.model=PATH");
  }
  if (fs::exists(fs::path(folder) / "trainer_state.json")) {
    const Json trainer_state = read_json_file((fs::path(folder) / "trainer_state.json").string());
    if (!reads_own_copy) data::check_tokenizer_fingerprint(trainer_state, folder, given, tokenizer_path);
    if (resolved.has("trainer"))
      train::enter_stages_of_checkpoint(*out.model, train::parse_train_options(resolved), trainer_state);
  }
  train::load_checkpoint(out.checkpoint, *out.model, nullptr);
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace jstip::decode
