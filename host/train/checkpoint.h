// Training checkpoints: a folder per step,
//
//   <run>/checkpoints/step-000120/
//     model.safetensors      every parameter and buffer of the speech-LLM
//     optimizer.safetensors  AdamW moments and step counts, by parameter name
//     trainer_state.json     step, stage, RNG states, data positions, metrics
//     config.yaml            the resolved config (decoding rebuilds the graph from it)
//
// Folders are written under a temporary name and renamed into place, so a
// kill or a full disk leaves the previous checkpoints untouched; `latest`
// (a small file, replaced atomically) names the newest complete one.
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include <string>
#include <vector>

#include "jstip/json.h"

namespace jstip::train {

struct CheckpointContent {
  Json trainer_state;       // caller-defined; must hold "step"
  std::string config_yaml;  // resolved config
};

// Writes a checkpoint folder for `step` under `checkpoint_root` atomically and
// updates `latest`. Returns the folder path.
std::string save_checkpoint(const std::string& checkpoint_root, int64_t step, torch::nn::Module& model,
                            torch::optim::AdamW* optimizer, const CheckpointContent& content);

// Loads weights (and optimizer state when given) from a checkpoint folder;
// errors name the folder and the tensor. Returns the trainer state and config.
CheckpointContent load_checkpoint(const std::string& folder, torch::nn::Module& model,
                                  torch::optim::AdamW* optimizer);

// The folder `latest` points to, or "" when there is none. Accepts a run
// folder, a checkpoints folder or a checkpoint folder.
std::string resolve_checkpoint(const std::string& path);

// The best-dev-loss checkpoint that `recorded` (a trainer_state.json's
// best_checkpoint) names: the folder of that name next to `checkpoint` (the
// run may have moved or been copied since), else the recorded path itself;
// "" when neither exists.
std::string find_best_checkpoint(const std::string& recorded, const std::string& checkpoint);

// Deletes all but the newest `keep_last` checkpoints, and never `protect` (the best).
void prune_checkpoints(const std::string& checkpoint_root, int64_t keep_last, const std::string& protect);

}  // namespace jstip::train
