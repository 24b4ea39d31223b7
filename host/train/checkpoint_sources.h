// Where each part of a checkpoint comes from, so that it decodes from any
// folder and without the files it was trained from (docs/training.md,
// "Checkpoints"):
//
//   tokenizer/     the run's tokenizer (tokenizer_copy.h), and the prompt's
//                  chat template in tokenizer/chat_template/ when the config
//                  names one (prompt.chat_template)
//   sources.json   {"format": 1,
//                   "tokenizer": {"file", "source", "converted", "crc32c", "pieces"},
//                   "chat_template": true,
//                   "slots": {"llm": {"pretrained": {"key", "path", "files": [...]},
//                                     "weights": "outside" | "inside",
//                                     "architecture": "config" | "pretrained",
//                                     "omitted": {"llm.model.norm.weight": "<xxh64>", ...}}}}
//
// A slot whose plugin read a `pretrained` file is recorded (pretrained_record.h).
// Its weights still equal to the file's (frozen, no optimizer step, no LoRA
// merged into them) are left out of model.safetensors when they are most of
// the slot's bytes ("outside"; "omitted" lists them with their hashes, which
// loading checks); otherwise model.safetensors holds the whole slot
// ("inside"). "architecture": "config" when config.yaml's slot options
// rebuild it without the file (pretrained_architecture.h).
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "host/train/pretrained_record.h"
#include "host/train/tokenizer_copy.h"
#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip::train {

inline constexpr const char* kSourcesFile = "sources.json";
inline constexpr const char* kTokenizerFolder = "tokenizer";
inline constexpr const char* kChatTemplateFolder = "tokenizer/chat_template";

struct SlotSource {
  std::string slot;  // "llm"
  PretrainedRecord pretrained;
  bool weights_inside = true;
  bool architecture_in_config = true;
  std::map<std::string, uint64_t> omitted;  // left out of model.safetensors: name -> tensor_hash as loaded
  // Decoding reads the pretrained file: for the weights left out, or for the sizes.
  bool needs_file() const { return !weights_inside || !architecture_in_config; }
};

struct CheckpointManifest {
  std::optional<TokenizerCopy> tokenizer;  // in tokenizer/
  bool chat_template = false;              // in tokenizer/chat_template/
  std::vector<SlotSource> slots;
};

Json to_json(const CheckpointManifest& manifest);
// Errors name `origin` and the field.
CheckpointManifest manifest_from_json(const Json& json, const std::string& origin);
// The folder's sources.json; nullopt for a checkpoint written before them.
std::optional<CheckpointManifest> read_manifest(const std::string& folder);

// A slot built from a pretrained file, as training found it.
struct SlotBase {
  std::string slot;
  PretrainedRecord pretrained;
  bool architecture_in_config = false;
  std::map<std::string, uint64_t> tensor_hashes;  // its parameters as loaded, by checkpoint name
};

// What a run's checkpoints carry besides their weights, prepared once when
// training starts (before any step, so the hashes are the loaded weights').
struct CheckpointSources {
  Config config;  // the resolved config with each pretrained slot's architecture options: config.yaml
  std::vector<SlotBase> bases;
  std::string tokenizer_folder;  // <run>/tokenizer, linked into each checkpoint
  TokenizerCopy tokenizer;
  bool chat_template = false;
};

// Replaces (or adds, with the maps above it) the scalar at a dotted `key`
// ("tokenizer.model") of a config tree; `origin` names where it came from.
void set_config_scalar(const ConfigNodePtr& root, const std::string& key, const std::string& text,
                       const std::string& origin);

// `model`: the speech-LLM (slots "encoder", "projector", "llm") just composed
// from `resolved`. Writes <run_dir>/tokenizer/.
CheckpointSources prepare_checkpoint_sources(torch::nn::Module& model, const Config& resolved,
                                             const std::string& run_dir);

}  // namespace jstip::train
