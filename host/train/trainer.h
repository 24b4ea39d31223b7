// Multi-stage training of a composed speech-LLM on a data mixture.
//
// Every step: draw a source by weight, plan each sample with the source's
// interleaver, run encoder+projector once per utterance that has a speech
// span, splice, take the next-token loss. AdamW with warmup + decay, gradient
// clipping and accumulation; a step whose loss or gradient is not finite is
// skipped and reported. Checkpoints (see checkpoint.h) carry everything a
// resume needs to continue exactly: weights, optimizer moments, RNG states
// and data positions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "host/train/encoder_cache.h"
#include "jstip/config.h"

namespace jstip::train {

struct TrainSummary {
  std::vector<double> losses;  // loss of each optimizer step taken in this run
  int64_t steps = 0;           // global step reached
  int64_t skipped_steps = 0;   // non-finite loss or gradient
  std::string last_checkpoint;
  double last_dev_loss = -1;
  double data_wait_share = 0;  // share of training time spent waiting for batches
  // The encoder cache's counts per source epoch, in the order the epochs ended (encoder_cache.h).
  std::vector<EncoderCacheEpoch> encoder_cache_epochs;
};

struct TrainRequest {
  Config config;            // resolved
  std::string resume_from;  // run or checkpoint folder; "" = start fresh
  int64_t stop_after = -1;  // stop at this global step (tests, interruptions); -1 = run all stages
  bool quiet = false;       // no progress output
};

TrainSummary train(const TrainRequest& request);

}  // namespace jstip::train
