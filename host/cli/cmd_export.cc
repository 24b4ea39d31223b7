// jstip export CHECKPOINT --out DIR [--force] [key=value ...]
// A checkpoint as a folder that decodes on its own (docs/decoding.md,
// "Exporting a checkpoint"): model.safetensors with every weight (the frozen
// pretrained ones a checkpoint leaves to their file read back in), config.yaml
// with no path outside DIR (each slot's sizes as options, no `pretrained`
// file; the tokenizer in DIR/tokenizer/), trainer_state.json and sources.json.
// Written into DIR.tmp-PID and renamed, so a failed export leaves no half folder.
#include <unistd.h>

#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "host/cli/command.h"
#include "host/decode/decode_model.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/config_loader.h"
#include "host/train/checkpoint.h"
#include "host/train/checkpoint_sources.h"
#include "host/train/pretrained_architecture.h"
#include "jstip/json.h"
#include "jstip/safetensors.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;

const char* kUsage =
    "jstip export CHECKPOINT --out DIR [--force] [key=value ...]\n\n"
    "Writes DIR: a checkpoint that `jstip decode DIR` reads with nothing outside it: model.safetensors\n"
    "with every weight (a frozen pretrained base read back from its file, which must be where the\n"
    "checkpoint recorded it or given as e.g. llm.pretrained=PATH, checked against the recorded crc32c),\n"
    "config.yaml (each slot's sizes as its options, tokenizer.model: tokenizer/...), tokenizer/,\n"
    "trainer_state.json and sources.json. CHECKPOINT is what `jstip decode` takes (a run, its\n"
    "checkpoints folder or a step folder). Overrides apply to loading and are kept in config.yaml.\n"
    "  --force   replace DIR when it exists";

// The slots that read a pretrained file in `config`, each given its sizes as
// options and no file. Refuses a plugin whose sizes no option says.
void drop_pretrained_files(const ConfigNodePtr& root, const Config& config) {
  for (const char* slot : {"encoder", "projector", "llm"}) {
    const std::string key = std::string(slot) + ".pretrained", pretrained = config.get_string(key, "");
    if (pretrained.empty()) continue;
    const std::string plugin = config.get_string(std::string(slot) + ".type", "");
    const auto options = train::architecture_options(plugin, pretrained);
    if (!options)
      throw std::runtime_error(key + " = " + pretrained + ": the " + plugin +
                               " plugin builds its modules from this file's sizes, which no option of it says; a "
                               "checkpoint of it cannot decode without the file, so it is not exported");
    for (const auto& [option, value] : *options)
      train::set_config_scalar(root, std::string(slot) + "." + option, value, "jstip export, from " + pretrained);
    train::set_config_scalar(root, key, "", "jstip export (the weights are in model.safetensors)");
  }
}

int run_export(const cli::Args& args) {
  if (args.positional.size() != 1 || args.get("out").empty())
    throw std::invalid_argument(std::string("usage: ") + kUsage);
  fs::path out = fs::path(args.get("out")).lexically_normal();
  if (!out.has_filename()) out = out.parent_path();  // "exp/": the temp folder must be exp's sibling, not inside it
  if (fs::exists(out) && !args.flag("force"))
    throw std::runtime_error(out.string() + " exists (give --force to replace it)");
  const std::string folder = decode::resolve_decode_checkpoint(args.positional[0]);
  const Config config = decode::load_checkpoint_config(folder, args.overrides);
  const decode::DecodeModel loaded = decode::load_decode_model(folder, config, torch::Device(torch::kCPU));
  const Config& resolved = loaded.composition.config;

  const fs::path tmp = out.string() + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    auto root = config.node()->clone();
    drop_pretrained_files(root, resolved);
    train::CheckpointManifest manifest;
    const std::string tokenizer = resolved.get_string("tokenizer.model");
    manifest.tokenizer = train::copy_tokenizer(tokenizer, (tmp / train::kTokenizerFolder).string());
    // A copy of the checkpoint's copy: say where that one came from.
    const auto recorded = train::read_manifest(folder);
    std::error_code ec;
    if (recorded && recorded->tokenizer &&
        fs::equivalent(tokenizer, fs::path(folder) / train::kTokenizerFolder / recorded->tokenizer->file, ec)) {
      manifest.tokenizer->source = recorded->tokenizer->source;
      manifest.tokenizer->converted = recorded->tokenizer->converted;
    }
    train::set_config_scalar(root, "tokenizer.model",
                             (fs::path(train::kTokenizerFolder) / manifest.tokenizer->file).string(), "jstip export");
    const std::string chat_template = resolved.get_string("prompt.chat_template", "");
    if (!chat_template.empty() && resolved.get_string("prompt.format", "plain") == "chat") {
      train::copy_chat_template(chat_template, (tmp / train::kChatTemplateFolder).string());
      train::set_config_scalar(root, "prompt.chat_template", train::kChatTemplateFolder, "jstip export");
      manifest.chat_template = true;
    }
    safetensors::save_file((tmp / "model.safetensors").string(), train::checkpoint_tensors(*loaded.model));
    {
      std::ofstream yaml(tmp / "config.yaml", std::ios::binary);
      yaml << host::dump_yaml(root);
      yaml.flush();
      if (!yaml) throw std::runtime_error((tmp / "config.yaml").string() + ": write failed (disk full?)");
    }
    if (fs::exists(fs::path(folder) / "trainer_state.json"))  // the stages entered: the LoRA adapters to rebuild
      fs::copy_file(fs::path(folder) / "trainer_state.json", tmp / "trainer_state.json");
    write_json_file((tmp / train::kSourcesFile).string(), train::to_json(manifest));
    fs::remove_all(out);
    fs::rename(tmp, out);
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw std::runtime_error("exporting " + folder + " to " + out.string() + " failed, nothing written: " + e.what());
  }
  std::printf("exported %s -> %s (model.safetensors %.1f MiB)\n", folder.c_str(), out.c_str(),
              static_cast<double>(fs::file_size(out / "model.safetensors")) / 1048576.0);
  return 0;
}

}  // namespace

JSTIP_COMMAND("export", "Write a checkpoint as a folder that decodes on its own (every weight, tokenizer, sizes)",
              kUsage, run_export);
