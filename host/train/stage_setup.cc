#include "host/train/stage_setup.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>

#include "host/graph/speech_llm.h"
#include "jstip/nn/freeze.h"

namespace jstip::train {

void apply_slot_training_options(graph::SpeechLLM& model, const Config& config) {
  for (const char* slot : {"encoder", "projector", "llm"}) {
    torch::nn::Module& module = *model.named_children()[slot];
    std::string summary = jstip::nn::apply_training_options(module, config.child(slot));
    if (!summary.empty()) spdlog::info("{}: {}", slot, summary);
  }
}

std::vector<torch::Tensor> enter_stage(graph::SpeechLLM& model, const StageOptions& stage) {
  auto slots = model.named_children();
  for (const auto& [slot, frozen] : stage.freeze)
    for (auto& p : slots[slot]->parameters()) p.set_requires_grad(!frozen);
  // AdamW updates every parameter that has a gradient (weight decay and
  // momentum would still move a frozen one).
  for (auto& p : model.parameters())
    if (!p.requires_grad()) p.mutable_grad() = torch::Tensor();
  std::vector<torch::Tensor> adapters;
  for (const auto& [slot, lora] : stage.lora) {  // after the freeze, so the adapters train
    torch::nn::Module& module = *slots[slot];
    const int64_t merged = jstip::nn::merge_lora(module);
    const auto adapted = jstip::nn::inject_lora(module, lora.target, lora.rank, lora.alpha, lora.dropout);
    for (const auto& p : module.named_parameters())
      if (p.key().find("lora_") != std::string::npos) adapters.push_back(p.value());
    spdlog::info("stage '{}': {}: LoRA rank {} on {} Linear layers{}", stage.name, slot, lora.rank, adapted.size(),
                 merged ? " (" + std::to_string(merged) + " earlier adapters folded in)" : "");
  }
  return adapters;
}

std::vector<torch::Tensor> enter_stages_of_checkpoint(graph::SpeechLLM& model, const TrainOptions& options,
                                                      const Json& trainer_state, bool* mid_stage) {
  const int64_t stage = trainer_state.get_int("stage", 0), stage_step = trainer_state.get_int("stage_step", 0);
  std::vector<torch::Tensor> adapters;
  const auto stages = static_cast<int64_t>(options.stages.size());
  for (int64_t i = 0; i < std::min(stage + 1, stages); ++i)
    if (i < stage || stage_step > 0) {
      auto added = enter_stage(model, options.stages[i]);
      adapters.insert(adapters.end(), added.begin(), added.end());
    }
  if (mid_stage) *mid_stage = stage < stages && stage_step > 0;
  return adapters;
}

}  // namespace jstip::train
