// The `trainer` section: optimizer and schedule defaults, then stages that
// override them (e.g. JSTIP pretraining, then ASR fine-tuning).
//
//   trainer:
//     lr: 1.0e-3          warmup_steps: 20     schedule: cosine   min_lr_ratio: 0.1
//     weight_decay: 0.01  grad_clip: 1.0       accumulate: 1
//     log_every: 10       save_every: 100      keep_last: 3       eval_every: 0
//     stages:
//       - {name: pretrain, steps: 200}
//       - {name: finetune, steps: 100, lr: 3.0e-4, sources: {asr_pairs: 1.0},
//          freeze: {encoder: true}}
//       - {name: adapt, steps: 50, freeze: {llm: true},
//          lora: {llm: {target: "self_attn\\.(q|v)_proj$", rank: 8, alpha: 16}}}
//     ctc_weight: 0.5     # auxiliary CTC loss on the encoder's CTC head (per stage too)
//     llm_weight: 1.0     # 0 in a stage: CTC only, the LLM is not run (encoder warm-up)
//     precision: fp32     # or bf16: autocast matmuls/convolutions to bfloat16
//     export_llm: runs/llm-pretrain/llm   # save the LLM in HF layout at the end
#pragma once

#include <map>
#include <string>
#include <vector>

#include "host/train/lr_schedule.h"
#include "jstip/config.h"

namespace jstip::train {

// LoRA adapters a stage adds to one slot (see jstip/nn/freeze.h).
struct StageLora {
  std::string target;  // regex of LoraLinear module names
  int64_t rank = 8;
  double alpha = 16.0;
  double dropout = 0.0;
};

struct StageOptions {
  std::string name;
  int64_t steps = 0;           // optimizer steps
  LrSchedule schedule;
  double weight_decay = 0.01;
  double grad_clip = 1.0;      // max global L2 norm; <= 0 disables
  int64_t accumulate = 1;      // micro-batches per optimizer step
  std::map<std::string, double> source_weights;  // empty: the data section's weights
  std::map<std::string, bool> freeze;            // slot -> frozen for this stage
  // slot -> adapters added at the start of this stage (after `freeze`); earlier
  // adapters of the slot are folded into its weights first.
  std::map<std::string, StageLora> lora;
  // Loss weights: objective = llm_weight * LLM loss + ctc_weight * CTC loss
  // (both summed over target tokens). llm_weight 0 skips the LLM forward: a
  // CTC-only stage that teaches the encoder to listen before the LLM reads it.
  double llm_weight = 1.0;
  double ctc_weight = 0.0;  // needs the encoder's CTC head (encoder.ctc_vocab)
};

struct TrainOptions {
  std::vector<StageOptions> stages;
  int64_t log_every = 10;
  int64_t save_every = 100;     // also at the end of every stage
  int64_t keep_last = 3;
  int64_t eval_every = 0;       // dev loss every N steps (0: at stage ends only)
  int64_t max_dev_batches = 20;
  std::string output_dir = "runs/default";
  uint64_t seed = 0;
  int64_t dist_timeout_seconds = 300;
  std::string device = "cpu";       // top-level `device`: cpu, cuda or cuda:N
  std::string precision = "fp32";   // or "bf16" (autocast; weights and optimizer stay fp32)
  // When set, the LLM slot is saved there at the end in the Hugging Face
  // layout (config.json + model.safetensors), for `llm.pretrained`.
  std::string export_llm;

  int64_t total_steps() const;
};

// Parses `trainer` (and top-level seed/output_dir); errors name file:line.
TrainOptions parse_train_options(const Config& config);

}  // namespace jstip::train
