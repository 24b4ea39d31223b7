// The options that rebuild a slot without its `pretrained` file: the llama,
// gpt2 and whisper plugins take their sizes (and numeric details such as
// rope_theta) from the file, overriding the slot's size options, so the
// resolved config alone does not say what was built. Checkpoints record these
// values in their config.yaml; a checkpoint that holds every weight of the
// slot then composes it with `pretrained: ""` (no file read twice, and none
// needed).
//
// This mirrors what each plugin's loader reads (llama_config.cc
// config_from_hf / llama_gguf.cc config_from_gguf, gpt2_config.cc,
// whisper_encoder.cc, for a CTranslate2 folder via jstip/weights/whisper_ct2.h), in the plugins' own option names; a unit test builds
// the plugins' configs both ways and compares every field
// (tests/train/checkpoint_sources_test.cc).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jstip::train {

// (option, YAML scalar) pairs, in the plugin's option names.
using SlotOptions = std::vector<std::pair<std::string, std::string>>;

// For `plugin` (the slot's type) reading `pretrained`: the options that build
// the same modules; an empty list when the plugin takes only weights from the
// file (transformer, conformer: their sizes are options already); nullopt when
// the plugin is not one of these or the file holds something its options
// cannot say (a llama rope_scaling other than the default): such a slot keeps
// needing the file for its architecture.
std::optional<SlotOptions> architecture_options(const std::string& plugin, const std::string& pretrained);

}  // namespace jstip::train
