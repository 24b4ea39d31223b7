// The parameter structure of a speech-LLM during training: which parameters
// train and which LoRA adapters exist. It depends on the config's slot
// options and on the stages entered so far, so a resume and a decode rebuild
// it before loading a checkpoint's weights.
#pragma once

#include <torch/types.h>

#include <vector>

#include "host/train/train_options.h"
#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip::graph {
class SpeechLLM;
}

namespace jstip::train {

// The slots' own freeze / LoRA keys (see jstip/nn/freeze.h); logs a summary per slot.
void apply_slot_training_options(graph::SpeechLLM& model, const Config& config);

// A stage's freeze settings, then its LoRA adapters (earlier adapters of the
// slot are folded into its weights first). Drops gradients of frozen
// parameters. Returns the new adapter parameters (for the optimizer).
std::vector<torch::Tensor> enter_stage(graph::SpeechLLM& model, const StageOptions& stage);

// Enters every stage a checkpoint with `trainer_state` (its "stage" and
// "stage_step") had entered. Returns the new adapter parameters and sets
// `*mid_stage` when the checkpoint is inside its stage (already entered).
std::vector<torch::Tensor> enter_stages_of_checkpoint(graph::SpeechLLM& model, const TrainOptions& options,
                                                      const Json& trainer_state, bool* mid_stage = nullptr);

}  // namespace jstip::train
