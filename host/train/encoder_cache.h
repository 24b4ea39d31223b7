// The encoder output cache: frozen encoders cost nothing twice.
//
// With every encoder parameter frozen (and no SpecAugment), the encoder's
// output for a record depends on nothing training changes, so it is computed
// once per utterance and kept beside the shards:
//
//   <shard's folder>/encoder-cache/<key>/manifest.json                 what went into the key
//   <shard's folder>/encoder-cache/<key>/<shard file name>/<record index>.enc
//
// The key hashes the encoder's weights (every parameter and buffer: names,
// shapes, dtypes, bytes), its plugin and options, the resolved `features`
// section, the resolved data.feature_norm and features.pad_30s. Any change
// gives a new folder; old ones are left where they are (delete them by hand).
// A record file holds the record's valid encoder frames, exactly as
// SpeechLLM::run_encoder returned them (in fp32, even in a bf16 run), and a hash
// of the features the encoder read, so a shard rewritten under the same name
// is recomputed rather than misread:
//
//   header  "JSTIPENC" | u32 version | u32 reserved | i64 record index | u64 frames | u64 hidden dim
//           | u64 ctc dim (0: no CTC head) | u64 input hash | u64 payload hash | u32 crc32c(previous 64 bytes)
//   payload frames x hidden dim float32, then frames x ctc dim float32 (CTC logits)
//
// A trainable CTC head over a frozen trunk: when the only encoder parameters
// that train are its `ctc_head` submodule's (the SDK convention: a
// jstip::nn::LoraLinear registered as "ctc_head" that maps `hidden` to
// `ctc_logits`; every in-tree encoder follows it), the cache keeps the trunk's
// frames (ctc dim 0; the head's tensors are left out of the key) and the head
// runs live on them, with gradients: a CTC bridge over a frozen Whisper costs
// one encoder pass per utterance, not one per step.
// Integers little-endian, floats in the host's order (little-endian hosts
// only); the hashes are XXH64 (tensor_hash.h).
// One file per record, not per shard: misses turn up in training order, spread
// over many batches and ranks, and each file is written whole once (temp +
// rename), which a shared per-shard file could not be without rewriting it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "jstip/config.h"
#include "jstip/encoder.h"
#include "jstip/json.h"
#include "jstip/nn/lora_linear.h"

namespace jstip::graph {
class SpeechLLM;
}
namespace jstip::data {
struct Batch;
}

namespace jstip::train {

// A damaged or mismatched cache file; what() names the file and the record.
class EncoderCacheError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr uint32_t kEncoderCacheFormatVersion = 1;
constexpr size_t kEncodingHeaderSize = 68;

struct EncoderCacheKey {
  std::string id;  // 16 hex digits: the folder name
  Json inputs;     // each input of the hash, written to manifest.json
};

// The key of `model`'s encoder under `config` (the resolved config of its composition).
EncoderCacheKey encoder_cache_key(graph::SpeechLLM& model, const Config& config);

// One record's encoder output as stored.
struct CachedEncoding {
  torch::Tensor hidden;      // [frames, D] float32, CPU
  torch::Tensor ctc_logits;  // [frames, V] float32, CPU; undefined without a CTC head
};

// <shard's folder>/encoder-cache/<key>/<shard file name>/<record index>.enc
std::string encoding_path(const std::string& shard, int64_t record_index, const std::string& key);

// Hash of the features one row's encoder reads ([frames, bins] float32) and
// of the frames covering its audio.
uint64_t input_hash(const torch::Tensor& row_features, int64_t covered_frames);

// Writes one record's file atomically (temp + rename), creating its folder.
void write_encoding(const std::string& path, int64_t record_index, uint64_t input_hash, const CachedEncoding& encoding);

enum class CachedRead { Found, Absent, Stale };

// Reads one record's file. Absent: no file. Stale: a sound file made from
// other features (its input hash differs); the caller recomputes it. A file
// that is damaged (short, long, bad checksum) or of another record or shape
// throws EncoderCacheError naming the file and the record.
CachedRead read_encoding(const std::string& path, int64_t record_index, uint64_t input_hash, int64_t hidden_dim,
                         int64_t ctc_dim, CachedEncoding* out);

struct EncoderCacheStats {
  int64_t hits = 0;    // rows read from the cache
  int64_t misses = 0;  // rows encoded and stored (stale ones included)
  int64_t stale = 0;   // of the misses: files made from other features, replaced
  EncoderCacheStats operator-(const EncoderCacheStats& o) const { return {hits - o.hits, misses - o.misses, stale - o.stale}; }
  EncoderCacheStats& operator+=(const EncoderCacheStats& o);
};

class EncoderCache {
 public:
  EncoderCache(EncoderCacheKey key, int64_t hidden_dim, int64_t ctc_dim);
  // With a live head the cache stores the trunk's frames only (ctc_dim must be
  // 0) and encode() computes ctc_logits = head(hidden) on every call.
  EncoderCache(EncoderCacheKey key, int64_t hidden_dim, jstip::nn::LoraLinear live_ctc_head);

  // The encoder outputs of batch rows `rows` (records with audio), as
  // SpeechLLM::run_encoder gives them ([rows, T', D] zero beyond each row's
  // length, on `device`): cached rows are read, the others encoded in one call
  // and stored. The encoder runs in eval mode (it is frozen: no dropout, and
  // BatchNorm uses its running statistics), without gradients or autocast.
  EncoderOutput encode(graph::SpeechLLM& model, const data::Batch& batch, const std::vector<int64_t>& rows,
                       const torch::Device& device);

  const EncoderCacheKey& key() const { return key_; }
  const EncoderCacheStats& stats() const { return stats_; }

 private:
  void ensure_manifest(const std::string& key_folder);

  EncoderCacheKey key_;
  int64_t hidden_dim_, ctc_dim_;
  jstip::nn::LoraLinear live_ctc_head_{nullptr};
  EncoderCacheStats stats_;
  std::set<std::string> manifests_;  // key folders whose manifest exists
};

// The encoder's `ctc_head` when it alone trains (every other encoder parameter
// frozen, at least one of its own not), else null.
jstip::nn::LoraLinear live_ctc_head(graph::SpeechLLM& model);

// The key of `model`'s encoder with its trainable CTC head left out (the head
// runs live over the cached trunk).
EncoderCacheKey encoder_trunk_cache_key(graph::SpeechLLM& model, const Config& config);

// trainer.encoder_cache (auto | off) for a stage about to run. `auto` builds a
// cache when every encoder parameter is frozen, or all but a live CTC head's
// (see live_ctc_head), and speech.spec_augment is off
// (its masks change the encoder's input every step, and live train-mode steps
// would move a BatchNorm's statistics under the cached dev outputs).
// Logs the choice and why. `current` is kept when its key still holds.
struct StageEncoderCache {
  std::shared_ptr<EncoderCache> cache;  // null: off, or the encoder trains
  bool for_training = false;
};
StageEncoderCache encoder_cache_for_stage(graph::SpeechLLM& model, const Config& config, const std::string& stage,
                                          const std::shared_ptr<EncoderCache>& current);

// The cache's counts per data source and epoch, logged when the source's epoch
// ends ("encoder cache: source 'pairs' epoch 1: 16 hits, 0 misses, 0 encoder calls").
struct EncoderCacheEpoch {
  std::string source;
  int64_t epoch = 0;
  EncoderCacheStats stats;
  int64_t encoder_calls = 0;  // times the encoder ran (SpeechLLM::encoder_runs)
  bool complete = false;      // the epoch ended (false: the run stopped inside it)
};

class EncoderCacheEpochLog {
 public:
  // One batch of `source`'s epoch `epoch` that used the cache.
  void add(const std::string& source, int64_t epoch, const EncoderCacheStats& counts, int64_t encoder_calls);
  void finish();  // logs the epochs still open
  const std::vector<EncoderCacheEpoch>& epochs() const { return done_; }

 private:
  std::map<std::string, EncoderCacheEpoch> open_;
  std::vector<EncoderCacheEpoch> done_;
};

}  // namespace jstip::train
