// Writes what one training micro-batch fed the models (train::BatchTrace) so
// the Python peer (bench/python/peer.py) can replay the same shapes:
//   DIR/layout.json   encoder input lengths, projected speech lengths, CTC
//                     targets, and per LLM row its pieces: text token runs and
//                     speech slices [audio_row, first, last), plus labels
//   DIR/features.f32  the encoder input [B_audio, T, bins], float32, row-major
#pragma once

#include <string>

#include "host/train/batch_loss.h"
#include "jstip/json.h"

namespace jstip::bench {

void write_trace(const std::string& dir, const train::BatchTrace& trace, const Json& extra);

}  // namespace jstip::bench
