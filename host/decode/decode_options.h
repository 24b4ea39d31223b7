// The config's `decode` section: search options, batch size and device.
//
//   decode:
//     beam: 4                     # 1 = greedy
//     length_penalty: 1.0         # rank by log p / length^alpha
//     max_tokens_base: 10         # budget: base + per_second * audio seconds,
//     max_tokens_per_second: 15   #   at most max_tokens_cap tokens
//     max_tokens_cap: 512
//     repeat_ngram: 4             # repetition guard: no n-gram of this many tokens
//     repeat_max: 2               #   more than this many times (0 = off)
//     batch_size: 8
//     device: cpu                 # or cuda, cuda:1
//     search: llm                 # or ctc: the encoder's CTC head alone (greedy)
//
// Absent keys keep these defaults; an unknown key is an error with a suggestion.
#pragma once

#include <string>

#include "host/decode/search_options.h"
#include "jstip/config.h"

namespace jstip::decode {

struct DecodeSettings {
  SearchOptions search;
  int64_t batch_size = 8;
  std::string device = "cpu";
  // Padded feature frames per encoder call (graph/speech_groups.h); 0: the
  // whole batch on CUDA, kCpuEncoderFramesPerCall on the CPU.
  int64_t encoder_frames_per_call = 0;
};

// The CPU default of decode.encoder_frames_per_call: 4 rows of 7 s.
constexpr int64_t kCpuEncoderFramesPerCall = 3000;

DecodeSettings decode_settings_from_config(const Config& config);

}  // namespace jstip::decode
