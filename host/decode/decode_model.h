// The model for decoding, rebuilt from a checkpoint alone: its resolved
// config (config.yaml) composes the plugins, model.safetensors fills them
// (with a frozen pretrained base it left outside, read from its file).
#pragma once

#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "host/runtime/composition.h"
#include "jstip/config.h"

namespace jstip::data {
class Tokenizer;
}
namespace jstip::graph {
class SpeechLLM;
}

namespace jstip::decode {

// A step folder as is; a run or checkpoints folder: the best checkpoint its
// newest trainer_state.json records ("best_checkpoint", lowest dev loss),
// else the newest. Throws naming the path when there is none.
std::string resolve_decode_checkpoint(const std::string& path);

// "cpu", "cuda", "cuda:1"; cuda without a usable GPU is an error.
torch::Device parse_device(const std::string& name);

struct DecodeModel {
  std::string checkpoint;  // the folder the weights came from
  host::Composition composition;  // .config: the checkpoint's config with the overrides applied
  std::shared_ptr<graph::SpeechLLM> model;  // eval mode, on the device
  std::shared_ptr<const data::Tokenizer> tokenizer;
};

// The checkpoint folder's config.yaml with its own files in place of the
// paths it names (sources.json, docs/training.md "Checkpoints"): the tokenizer
// copy in <folder>/tokenizer/, each pretrained file it needs at its recorded
// absolute path, `pretrained: ""` for a slot it holds whole. Then `overrides`
// (key.path=value) on top, e.g. decode.beam=4, or llm.pretrained=PATH when a
// frozen base moved.
Config load_checkpoint_config(const std::string& folder, const std::vector<std::string>& overrides);

// `folder`: a resolved checkpoint folder; `config`: its (overridden) config.
// Checks each pretrained file the checkpoint needs against its record before
// composing (errors name the file, its recorded size and CRC-32C, and what to
// do), and the tokenizer against the one it was trained with.
DecodeModel load_decode_model(const std::string& folder, const Config& config, const torch::Device& device);

}  // namespace jstip::decode
