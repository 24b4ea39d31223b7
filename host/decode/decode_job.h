// Decodes every record of some shards (or the first N) in batches of
// similar length, and returns the results in record order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/decode/decoded_utterance.h"

namespace jstip::decode {

class BatchDecoder;

struct DecodeJobOptions {
  std::vector<std::string> shards;  // files, in order
  int64_t limit = -1;               // the first N records (shard order); -1 = all
  int64_t batch_size = 8;           // records per batch
};

struct DecodeJobResult {
  std::vector<DecodedUtterance> utterances;  // in record order
  double wall_seconds = 0;  // reading, features, encoder and search of all batches (not model loading)
  int64_t batches = 0;
};

// Records are sorted by length (longest first: a batch's rows pad little,
// and running out of memory shows up at once) and cut into batches.
// Duplicate record ids are an error naming the id (hyp.jsonl keys by id).
DecodeJobResult run_decode_job(BatchDecoder& decoder, const DecodeJobOptions& options,
                               const std::function<void(int64_t done, int64_t total)>& progress = {});

}  // namespace jstip::decode
