#include "host/decode/decode_model.h"

#include <torch/torch.h>

#include <filesystem>

#include "host/data/tokenizer.h"
#include "host/data/tokenizer_fingerprint.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/config_loader.h"
#include "host/train/checkpoint.h"
#include "host/train/stage_setup.h"
#include "host/train/train_options.h"
#include "jstip/json.h"
#include "jstip/llm.h"

namespace fs = std::filesystem;

namespace jstip::decode {

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
  return host::load_config({config_path}, overrides);
}

DecodeModel load_decode_model(const std::string& folder, const Config& config, const torch::Device& device) {
  DecodeModel out;
  out.checkpoint = folder;
  const std::string config_path = (fs::path(folder) / "config.yaml").string();
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
  if (fs::exists(fs::path(folder) / "trainer_state.json")) {
    const Json trainer_state = read_json_file((fs::path(folder) / "trainer_state.json").string());
    data::check_tokenizer_fingerprint(trainer_state, folder,
                                      data::fingerprint_tokenizer(tokenizer_path, out.tokenizer->vocab_size()),
                                      tokenizer_path);
    if (resolved.has("trainer"))
      train::enter_stages_of_checkpoint(*out.model, train::parse_train_options(resolved), trainer_state);
  }
  train::load_checkpoint(out.checkpoint, *out.model, nullptr);
  out.model->to(device);
  out.model->eval();
  return out;
}

}  // namespace jstip::decode
