#include "host/decode/decode_job.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <set>
#include <stdexcept>

#include "host/data/loader.h"
#include "host/decode/batch_decoder.h"

namespace jstip::decode {

DecodeJobResult run_decode_job(BatchDecoder& decoder, const DecodeJobOptions& options,
                               const std::function<void(int64_t, int64_t)>& progress) {
  if (options.batch_size < 1) throw std::invalid_argument("--batch must be >= 1");
  data::LoaderOptions index_options;
  index_options.compute_features = false;  // used as an index of the shards only
  data::Loader index(options.shards, index_options);
  int64_t total = index.num_records();
  if (options.limit >= 0) total = std::min(total, options.limit);
  if (total == 0) throw std::runtime_error("no records to decode in " + std::to_string(options.shards.size()) + " shard(s)");

  std::vector<int64_t> order(total);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return index.num_frames(a) > index.num_frames(b); });

  DecodeJobResult result;
  result.utterances.resize(total);
  std::set<std::string> ids;
  const auto start = std::chrono::steady_clock::now();
  int64_t done = 0;
  for (int64_t begin = 0; begin < total; begin += options.batch_size) {
    const int64_t end = std::min(total, begin + options.batch_size);
    std::vector<data::Utterance> records;
    for (int64_t i = begin; i < end; ++i) {
      records.push_back(index.read_record(order[i]));
      if (!ids.insert(records.back().id()).second)
        throw std::runtime_error("record id '" + records.back().id() + "' occurs twice in the data; ids must be unique");
    }
    std::vector<DecodedUtterance> decoded = decoder.decode(records);
    for (int64_t i = begin; i < end; ++i) result.utterances[order[i]] = std::move(decoded[i - begin]);
    ++result.batches;
    done += end - begin;
    if (progress) progress(done, total);
  }
  result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace jstip::decode
