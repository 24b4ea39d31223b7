// Training checkpoints: a folder per step,
//
//   <run>/checkpoints/step-000120/
//     model.safetensors      every parameter and buffer of the speech-LLM, but
//                            the frozen weights of a slot built from a pretrained
//                            file when they are most of it (sources.json)
//     optimizer.safetensors  AdamW moments and step counts, by parameter name
//     trainer_state.json     step, stage, RNG states, data positions, metrics
//     config.yaml            the resolved config (decoding rebuilds the graph from it),
//                            with the sizes a pretrained file gave a slot
//     tokenizer/             the run's tokenizer (hard links to <run>/tokenizer/)
//     sources.json           the tokenizer copy, the pretrained files the
//                            checkpoint depends on and the tensors it left to
//                            them (checkpoint_sources.h)
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
#include "jstip/safetensors.h"

namespace jstip::train {

struct CheckpointSources;

struct CheckpointContent {
  Json trainer_state;       // caller-defined; must hold "step"
  std::string config_yaml;  // resolved config
  // Saving: the run's tokenizer copy and pretrained bases; null writes every
  // tensor and no tokenizer/ or sources.json.
  const CheckpointSources* sources = nullptr;
};

// Writes a checkpoint folder for `step` under `checkpoint_root` atomically and
// updates `latest`. Returns the folder path.
std::string save_checkpoint(const std::string& checkpoint_root, int64_t step, torch::nn::Module& model,
                            torch::optim::AdamW* optimizer, const CheckpointContent& content);

// Loads weights (and optimizer state when given) from a checkpoint folder;
// errors name the folder and the tensor. Returns the trainer state and config.
// The tensors sources.json says were left to a pretrained file must already
// be in `model` (composed with that file) with the recorded hashes; a
// difference is an error naming the tensor and the file.
CheckpointContent load_checkpoint(const std::string& folder, torch::nn::Module& model,
                                  torch::optim::AdamW* optimizer);

// Every parameter and buffer of `model` by name, as a full checkpoint holds them.
safetensors::TensorMap checkpoint_tensors(torch::nn::Module& model);

// The folder `latest` points to (when a kill left it naming a folder that is
// not whole, the newest whole step folder), or "" when there is none. Accepts
// a run folder, a checkpoints folder or a checkpoint folder.
std::string resolve_checkpoint(const std::string& path);

// The best-dev-loss checkpoint that `recorded` (a trainer_state.json's
// best_checkpoint) names: the folder of that name next to `checkpoint` (the
// run may have moved or been copied since), else the recorded path itself;
// "" when neither exists.
std::string find_best_checkpoint(const std::string& recorded, const std::string& checkpoint);

// Deletes all but the newest `keep_last` checkpoints, and never `protect` (the best).
void prune_checkpoints(const std::string& checkpoint_root, int64_t keep_last, const std::string& protect);

}  // namespace jstip::train
