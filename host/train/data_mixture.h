// The `data` section: weighted sources, each with its shards and the
// interleaving strategy its samples get.
//
//   data:
//     max_frames_per_batch: 12000     # padded fbank frames per batch
//     max_utterances_per_batch: 32
//     sources:
//       - {name: pairs, shards: [data/train/*.shard], weight: 0.8}          # top-level interleaver
//       - {name: text,  shards: [data/text/*.shard],  weight: 0.2, interleaver: {type: text_lm}}
//     dev: {shards: [data/dev/*.shard]}                                     # scored with `asr`
//
// Each training batch comes from one source, drawn by weight with a seeded
// RNG; a source that runs out starts its next epoch (reshuffled by epoch).
#pragma once

#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "host/data/loader.h"
#include "jstip/config.h"
#include "jstip/json.h"

namespace jstip {
class Interleaver;
}
namespace jstip::host {
class PluginRegistry;
}

namespace jstip::train {

struct DataSource {
  std::string name;
  double weight = 1;
  std::string strategy;  // plugin name of its interleaver
  std::shared_ptr<Interleaver> interleaver;
  std::unique_ptr<data::Loader> loader;
  int64_t epoch = 0;     // current epoch of this source
  int64_t position = 0;  // batches already taken from this epoch
};

// Expands shell globs; a pattern matching nothing is an error naming it and `where`.
std::vector<std::string> expand_shards(const std::vector<std::string>& patterns, const std::string& where);

// The `data` section's batching options. Features stay kaldi_fbank's defaults:
// set `features` from the whole config with data::features_options(config)
// (DataMixture does).
data::LoaderOptions loader_options(const Config& data_section, uint64_t seed, int rank, int world_size);

class DataMixture {
 public:
  // `default_interleaver` serves sources without their own `interleaver`.
  DataMixture(const Config& config, const host::PluginRegistry& registry,
              std::shared_ptr<Interleaver> default_interleaver, const std::string& default_strategy,
              int rank = 0, int world_size = 1);

  // Draws a source (weights: the stage's overrides, else the configured ones)
  // and fills `batch` with its next batch.
  DataSource& next(std::mt19937_64& rng, const std::map<std::string, double>& weight_overrides, data::Batch* batch);

  std::vector<DataSource>& sources() { return sources_; }
  Json positions() const;               // for checkpoints
  void restore(const Json& positions);  // fast-forwards every source to where it was

  // Dev set (may be null): its own loader, no shuffling.
  data::Loader* dev_loader() { return dev_.get(); }

 private:
  bool take(DataSource& source, data::Batch* batch);
  std::vector<DataSource> sources_;
  std::unique_ptr<data::Loader> dev_;
};

}  // namespace jstip::train
