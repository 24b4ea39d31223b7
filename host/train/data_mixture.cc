#include "host/train/data_mixture.h"

#include <glob.h>

#include <algorithm>

#include "host/data/feature_extractor.h"
#include "host/runtime/plugin_registry.h"
#include "jstip/interleaver.h"

namespace jstip::train {

std::vector<std::string> expand_shards(const std::vector<std::string>& patterns, const std::string& where) {
  std::vector<std::string> paths;
  for (const auto& pattern : patterns) {
    glob_t found{};
    int status = ::glob(pattern.c_str(), 0, nullptr, &found);
    if (status != 0 || found.gl_pathc == 0) {
      globfree(&found);
      throw ConfigError(where + ": no shard matches '" + pattern + "' (make data with `jstip data synth` or `import`)");
    }
    for (size_t i = 0; i < found.gl_pathc; ++i) paths.emplace_back(found.gl_pathv[i]);
    globfree(&found);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

data::LoaderOptions loader_options(const Config& data_section, uint64_t seed, int rank, int world_size) {
  data::LoaderOptions options;
  options.max_frames_per_batch = data_section.get_int("max_frames_per_batch", options.max_frames_per_batch);
  options.max_utterances_per_batch = data_section.get_int("max_utterances_per_batch", options.max_utterances_per_batch);
  options.num_workers = static_cast<int>(data_section.get_int("num_workers", options.num_workers));
  options.prefetch_batches = static_cast<int>(data_section.get_int("prefetch_batches", options.prefetch_batches));
  options.skip_bad_records = data_section.get_bool("skip_bad_records", false);
  options.seed = seed;
  options.rank = rank;
  options.world_size = world_size;
  return options;
}

DataMixture::DataMixture(const Config& config, const host::PluginRegistry& registry,
                         std::shared_ptr<Interleaver> default_interleaver, const std::string& default_strategy,
                         int rank, int world_size) {
  if (!config.has("data.sources")) throw ConfigError(config.where() + ": missing 'data.sources' (a list)");
  Config data_section = config.child("data");
  const data::FeatureOptions features = data::features_options(config);  // the top-level `features` section
  const uint64_t seed = static_cast<uint64_t>(config.get_int("seed", 0));
  uint64_t index = 0;
  for (const Config& source_config : data_section.list("sources")) {
    DataSource source;
    source.name = source_config.get_string("name", "source" + std::to_string(index));
    source.weight = source_config.get_double("weight", 1.0);
    if (source.weight < 0) throw ConfigError(source_config.where("weight") + ": weight must be >= 0");
    if (source_config.has("interleaver")) {
      Config slot = source_config.child("interleaver");
      source.strategy = slot.get_string("type");
      source.interleaver = registry.create_as<Interleaver>(source.strategy, "interleaver", slot);
    } else {
      if (!default_interleaver)
        throw ConfigError(source_config.where() + ": source '" + source.name +
                          "' names no interleaver and the config has no `interleaver` slot");
      source.interleaver = default_interleaver;
      source.strategy = default_strategy;
    }
    auto shards = expand_shards(source_config.get_string_list("shards"), source_config.where("shards"));
    // Each source shuffles with its own seed, so adding a source does not reorder the others.
    auto options = loader_options(data_section, seed + 1000 * index, rank, world_size);
    options.features = features;
    source.loader = std::make_unique<data::Loader>(shards, options);
    if (source.loader->num_records() == 0) throw ConfigError(source_config.where() + ": source '" + source.name + "' has no records");
    sources_.push_back(std::move(source));
    ++index;
  }
  if (data_section.has("dev")) {
    Config dev = data_section.child("dev");
    auto options = loader_options(data_section, seed, 0, 1);
    options.shuffle = false;
    options.features = features;
    dev_ = std::make_unique<data::Loader>(expand_shards(dev.get_string_list("shards"), dev.where("shards")), options);
  }
}

bool DataMixture::take(DataSource& source, data::Batch* batch) {
  if (source.position == 0) source.loader->start_epoch(source.epoch);
  if (source.loader->next(batch)) {
    ++source.position;
    return true;
  }
  ++source.epoch;
  source.position = 0;
  return false;
}

DataSource& DataMixture::next(std::mt19937_64& rng, const std::map<std::string, double>& overrides, data::Batch* batch) {
  std::vector<double> weights;
  for (const auto& s : sources_) {
    auto o = overrides.find(s.name);
    weights.push_back(overrides.empty() ? s.weight : (o == overrides.end() ? 0.0 : o->second));
  }
  if (std::all_of(weights.begin(), weights.end(), [](double w) { return w <= 0; }))
    throw std::invalid_argument("every data source has weight 0 in this stage");
  std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
  DataSource& source = sources_[pick(rng)];
  if (!take(source, batch) && !take(source, batch))
    throw std::runtime_error("data source '" + source.name + "' yields no batch");
  return source;
}

Json DataMixture::positions() const {
  Json out = Json::object();
  for (const auto& s : sources_) {
    Json p = Json::object();
    p.set("epoch", Json::integer(s.epoch));
    p.set("position", Json::integer(s.position));
    out.set(s.name, p);
  }
  return out;
}

void DataMixture::restore(const Json& positions) {
  for (auto& s : sources_) {
    const Json* p = positions.find(s.name);
    if (!p) continue;
    s.epoch = p->get_int("epoch", 0);
    const int64_t target = p->get_int("position", 0);
    s.position = 0;
    data::Batch skipped;
    // Batches are a pure function of (records, seed, epoch): replaying the
    // epoch's plan reaches exactly the same place.
    while (s.position < target && take(s, &skipped)) {
    }
  }
}

}  // namespace jstip::train
