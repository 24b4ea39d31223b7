#include "host/data/loader.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>
#include <stdexcept>

#include "host/data/audio_io.h"
#include "host/data/utterance.h"

namespace jstip::data {
namespace {

uint64_t mix(uint64_t seed, uint64_t epoch) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + epoch + 0x632BE59BD9B4E019ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Fisher-Yates with our own index draws: std::shuffle's result differs
// between standard libraries, and epochs must be reproducible everywhere.
template <typename T>
void shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[size_t(rng() % i)]);
}

}  // namespace

Loader::Loader(std::vector<std::string> shard_paths, LoaderOptions options)
    : paths_(std::move(shard_paths)), options_(options), features_(make_feature_extractor(options.features)) {
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size)
    throw std::invalid_argument("loader: rank " + std::to_string(options_.rank) + " outside world size " +
                                std::to_string(options_.world_size));
  if (paths_.empty()) throw std::invalid_argument("loader: no shard files");
  // One pass to learn every record's place and length.
  for (size_t s = 0; s < paths_.size(); ++s) {
    ShardReader reader(paths_[s], {options_.skip_bad_records});
    Utterance record;
    while (reader.next(&record)) {
      const double seconds = utterance_seconds(record);
      const auto samples = int64_t(seconds * kSampleRate);
      const int64_t frames = is_text_only(record) ? 0 : features_->num_frames(samples);
      // A 30-s window keeps the first 30 s: the rest of the transcript would have no speech.
      if (!is_text_only(record) && features_->max_samples() > 0 && samples > features_->max_samples()) {
        if (!options_.skip_bad_records)
          features_->check_fits(samples, paths_[s] + ": record " + std::to_string(reader.last_index()) + " ('" +
                                             record.id() + "') (data.skip_bad_records: true skips such records)");
        ++bad_records_;
        continue;
      }
      index_.push_back({int32_t(s), reader.last_index(), reader.last_offset(), frames});
    }
    bad_records_ += reader.bad_records();
  }
}

Loader::~Loader() { stop(); }

std::vector<std::vector<int64_t>> Loader::plan_epoch(int64_t epoch) const {
  std::vector<int64_t> order(index_.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(mix(options_.seed, uint64_t(epoch)));
  if (options_.shuffle) shuffle(order, rng);
  auto frames = [&](int64_t r) { return std::max<int64_t>(1, index_[size_t(r)].frames); };
  const size_t bucket = size_t(std::max<int64_t>(1, options_.bucket_size));
  std::vector<std::vector<int64_t>> batches;
  for (size_t begin = 0; begin < order.size(); begin += bucket) {
    const auto first = order.begin() + long(begin), last = order.begin() + long(std::min(order.size(), begin + bucket));
    std::stable_sort(first, last, [&](int64_t a, int64_t b) { return frames(a) < frames(b); });
    std::vector<int64_t> current;
    int64_t longest = 0;
    for (auto it = first; it != last; ++it) {
      const int64_t longer = std::max(longest, frames(*it));
      const bool fits = longer * int64_t(current.size() + 1) <= options_.max_frames_per_batch &&
                        int64_t(current.size()) < options_.max_utterances_per_batch;
      if (!current.empty() && !fits) {
        batches.push_back(std::move(current));
        current.clear();
        longest = 0;
      }
      current.push_back(*it);
      longest = std::max(longest, frames(*it));
    }
    if (!current.empty()) batches.push_back(std::move(current));
  }
  if (options_.shuffle) shuffle(batches, rng);
  // Equal batch counts on every rank (collectives stay in step); the tail is dropped.
  const size_t world = size_t(options_.world_size), per_rank = batches.size() / world;
  if (per_rank == 0)
    throw std::runtime_error("loader: " + std::to_string(batches.size()) + " batches cannot be split over " +
                             std::to_string(world) + " ranks");
  std::vector<std::vector<int64_t>> mine;
  for (size_t k = 0; k < per_rank; ++k) mine.push_back(std::move(batches[k * world + size_t(options_.rank)]));
  return mine;
}

Utterance Loader::read_record(int64_t record) const {
  const Entry& e = index_.at(size_t(record));
  ShardReader reader(paths_[size_t(e.shard)]);
  Utterance out;
  reader.read_at(e.offset, e.record_index, &out);
  return out;
}

Batch Loader::build_batch(const std::vector<int64_t>& records, std::vector<std::unique_ptr<ShardReader>>& readers) const {
  Batch batch;
  std::vector<std::vector<float>> audio;
  int64_t longest = 0;
  for (int64_t r : records) {
    const Entry& e = index_[size_t(r)];
    auto& reader = readers[size_t(e.shard)];
    if (!reader) reader = std::make_unique<ShardReader>(paths_[size_t(e.shard)]);
    batch.records.emplace_back();
    reader->read_at(e.offset, e.record_index, &batch.records.back());
    batch.shards.push_back(paths_[size_t(e.shard)]);
    batch.record_indices.push_back(e.record_index);
    if (options_.compute_features) {
      audio.push_back(is_text_only(batch.records.back()) ? std::vector<float>{}
                                                         : utterance_samples(batch.records.back()));
      longest = std::max<int64_t>(longest, int64_t(audio.back().size()));
    }
  }
  if (options_.compute_features) {
    auto waves = torch::zeros({int64_t(records.size()), longest});
    auto lengths = torch::zeros({int64_t(records.size())}, torch::kInt64);
    for (size_t b = 0; b < audio.size(); ++b) {
      const auto n = int64_t(audio[b].size());
      if (n > 0) waves[int64_t(b)].narrow(0, 0, n).copy_(torch::from_blob(audio[b].data(), {n}, torch::kFloat32));
      lengths[int64_t(b)] = n;
    }
    FeatureBatch computed = features_->compute(waves, lengths);
    batch.features = computed.features;
    batch.feature_lengths = computed.lengths;
    batch.covered_frames = computed.covered;
    for (const auto& samples : audio) batch.audio_seconds.push_back(double(samples.size()) / kSampleRate);
  }
  return batch;
}

void Loader::work() {
  std::vector<std::unique_ptr<ShardReader>> readers(paths_.size());
  const int64_t ahead = std::max(1, options_.prefetch_batches);
  for (;;) {
    int64_t k = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      changed_.wait(lock, [&] {
        return stopping_ || error_ || next_to_claim_ >= int64_t(plan_.size()) ||
               next_to_claim_ < next_to_deliver_ + ahead;
      });
      if (stopping_ || error_ || next_to_claim_ >= int64_t(plan_.size())) break;
      k = next_to_claim_++;
    }
    try {
      Batch batch = build_batch(plan_[size_t(k)], readers);
      batch.epoch = epoch_;
      batch.index = k;
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(k, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    changed_.notify_all();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  --workers_running_;
  changed_.notify_all();
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  stopping_ = false;
  ready_.clear();
  error_ = nullptr;
  workers_running_ = 0;
}

void Loader::start_epoch(int64_t epoch) {
  stop();
  stats_ = {};
  plan_ = plan_epoch(epoch);
  epoch_ = epoch;
  next_to_claim_ = next_to_deliver_ = 0;
  epoch_start_ = std::chrono::steady_clock::now();
  const int n = std::max(1, options_.num_workers);
  workers_running_ = n;
  for (int i = 0; i < n; ++i) workers_.emplace_back(&Loader::work, this);
}

bool Loader::next(Batch* batch) {
  if (workers_.empty()) throw std::logic_error("loader: next() before start_epoch()");
  const auto begin = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return ready_.count(next_to_deliver_) || error_ || workers_running_ == 0; });
  const auto now = std::chrono::steady_clock::now();
  stats_.wait_seconds += std::chrono::duration<double>(now - begin).count();
  stats_.total_seconds = std::chrono::duration<double>(now - epoch_start_).count();
  auto it = ready_.find(next_to_deliver_);
  if (it == ready_.end()) {
    if (error_) std::rethrow_exception(error_);
    return false;
  }
  *batch = std::move(it->second);
  ready_.erase(it);
  ++next_to_deliver_;
  lock.unlock();
  changed_.notify_all();
  stats_.batches += 1;
  stats_.utterances += int64_t(batch->records.size());
  return true;
}

}  // namespace jstip::data
