// Model FLOPs of a finished `jstip decode` run, read from its hyp.jsonl: per
// utterance the encoder on its own frames, the LLM prefill of its own prefix
// and one step per token fed back. No padding is counted, so this is what any
// batching of the same utterances must compute at least; divided by the
// matmul peak it gives the shortest time the run could take on this machine.
#pragma once

#include <cstdint>
#include <string>

#include "bench/suite/model_flops.h"
#include "jstip/json.h"

namespace jstip::bench {

struct DecodeFlops {
  double encoder = 0, prefill = 0, steps = 0;
  int64_t utterances = 0, tokens = 0;
  double total() const { return encoder + prefill + steps; }
  Json to_json() const;
};

// `hyp_jsonl`: a greedy-search decode's hyp.jsonl (timings.audio_seconds,
// timings.prefix_length, tokens, stopped). Errors name the file and line.
DecodeFlops decode_flops(const ModelDims& dims, const std::string& hyp_jsonl);

}  // namespace jstip::bench
