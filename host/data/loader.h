// Batches for training: records from shards, grouped by length (bucketing)
// into dynamic batches bounded by padded frames, shuffled deterministically
// by (seed, epoch), split across ranks, and prepared (audio decode +
// features, feature_extractor.h)
// by background threads ahead of the trainer.
#pragma once

#include <torch/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "host/data/feature_extractor.h"
#include "host/data/shard_file.h"

namespace jstip::data {

struct LoaderOptions {
  int64_t max_frames_per_batch = 20000;  // batch size x longest utterance (padded frames)
  int64_t max_utterances_per_batch = 256;
  int64_t bucket_size = 1000;  // records sorted by length together before batching
  bool shuffle = true;
  uint64_t seed = 0;
  int rank = 0, world_size = 1;
  int prefetch_batches = 4;    // batches prepared ahead of the trainer
  int num_workers = 1;         // background threads; batches still arrive in plan order
  bool compute_features = true;
  bool skip_bad_records = false;
  FeatureOptions features;  // the config's `features` section (features_options)
};

struct Batch {
  std::vector<Utterance> records;
  torch::Tensor features;         // (B, T, bins), zero padded; undefined without features
  torch::Tensor feature_lengths;  // (B) frames; 0 for text-only records
  torch::Tensor covered_frames;   // (B) of those, the frames covering the audio (FeatureBatch::covered)
  std::vector<double> audio_seconds;  // (B) length of the audio loaded; 0 text-only; empty without features
  // Row b's loaded audio length, or -1 when the batch was built without features.
  double loaded_seconds(size_t b) const { return b < audio_seconds.size() ? audio_seconds[b] : -1; }
  int64_t epoch = 0, index = 0;   // index within this rank's epoch
  // (B) where each record lies: its shard file and its index within it (the encoder cache's key of a row).
  std::vector<std::string> shards;
  std::vector<int64_t> record_indices;
};

struct LoaderStats {
  int64_t batches = 0, utterances = 0;
  double wait_seconds = 0;   // time next() spent waiting for the background thread
  double total_seconds = 0;  // from start_epoch() to the last next()
  double wait_share() const { return total_seconds > 0 ? wait_seconds / total_seconds : 0; }
};

class Loader {
 public:
  Loader(std::vector<std::string> shard_paths, LoaderOptions options);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  int64_t num_records() const { return int64_t(index_.size()); }
  int64_t num_frames(int64_t record) const { return index_[size_t(record)].frames; }
  int64_t bad_records() const { return bad_records_; }  // skipped while indexing
  const FeatureExtractor& features() const { return *features_; }

  // This rank's batches for an epoch, as record numbers: a pure function of
  // (records, options, epoch). Every rank gets the same number of batches.
  std::vector<std::vector<int64_t>> plan_epoch(int64_t epoch) const;

  void start_epoch(int64_t epoch);  // starts the background thread
  bool next(Batch* batch);          // false when the epoch is done; rethrows worker errors
  LoaderStats stats() const { return stats_; }

  // Reads one record by number (random access through the index).
  Utterance read_record(int64_t record) const;

 private:
  struct Entry {
    int32_t shard;
    int64_t record_index;
    uint64_t offset;
    int64_t frames;
  };
  void stop();
  void work();
  Batch build_batch(const std::vector<int64_t>& records, std::vector<std::unique_ptr<ShardReader>>& readers) const;

  std::vector<std::string> paths_;
  LoaderOptions options_;
  std::unique_ptr<FeatureExtractor> features_;
  std::vector<Entry> index_;
  int64_t bad_records_ = 0;

  // Epoch state shared with the workers (guarded by mutex_).
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::vector<int64_t>> plan_;
  int64_t epoch_ = 0, next_to_claim_ = 0, next_to_deliver_ = 0;
  int workers_running_ = 0;
  std::map<int64_t, Batch> ready_;  // built, waiting for their turn
  std::exception_ptr error_;
  bool stopping_ = false;
  LoaderStats stats_;
  std::chrono::steady_clock::time_point epoch_start_;
};

}  // namespace jstip::data
