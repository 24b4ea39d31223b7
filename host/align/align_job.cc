#include "host/align/align_job.h"

#include <cstdio>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "host/align/aligner.h"
#include "host/data/shard_file.h"

namespace fs = std::filesystem;

namespace jstip::align {
namespace {

constexpr size_t kExamples = 5;

void note(AlignCounts& counts, const std::string& line) {
  if (counts.examples.size() < kExamples) counts.examples.push_back(line);
}

}  // namespace

AlignCounts run_align_job(Aligner& aligner, const std::vector<std::string>& shards, const std::string& out_dir,
                          const AlignSettings& settings, const std::function<void(int64_t)>& progress) {
  fs::create_directories(out_dir);
  std::set<std::string> names;
  for (const auto& path : shards) {
    const std::string name = fs::path(path).filename().string();
    if (!names.insert(name).second)
      throw std::invalid_argument("two input shards are named " + name + ": their outputs would collide in " + out_dir);
    if (fs::exists(path) && fs::exists(fs::path(out_dir) / name) &&
        fs::equivalent(fs::path(path), fs::path(out_dir) / name))
      throw std::invalid_argument(path + ": --out must not be the input's folder (shards are rewritten, not edited)");
  }
  AlignCounts counts;
  for (const auto& path : shards) {
    data::ShardReader reader(path);
    data::ShardWriter writer((fs::path(out_dir) / fs::path(path).filename()).string());
    bool more = true;
    while (more) {
      std::vector<data::Utterance> batch;
      data::Utterance record;
      while (static_cast<int64_t>(batch.size()) < settings.batch_size && (more = reader.next(&record)))
        batch.push_back(record);
      if (batch.empty()) break;
      const std::vector<AlignOutcome> outcomes = aligner.align(batch);
      for (size_t i = 0; i < batch.size(); ++i) {
        auto& r = batch[i];
        const AlignOutcome& o = outcomes[i];
        ++counts.records;
        bool keep = true;
        if (o.status == AlignOutcome::Status::TextOnly) {
          ++counts.text_only;
        } else if (o.status == AlignOutcome::Status::Failed) {
          ++counts.failed;
          note(counts, path + ": " + o.error);
          keep = !settings.drop_poor;
          (*r.mutable_metadata())["align_error"] = o.error;
        } else {
          counts.score_sum += o.score;
          if (o.score < settings.min_score) {
            ++counts.poor;
            char line[64];
            std::snprintf(line, sizeof line, " scored %.3f < align.min_score %.3f", o.score, settings.min_score);
            note(counts, path + ": record '" + r.id() + "'" + line);
            keep = !settings.drop_poor;
            (*r.mutable_metadata())["align_poor"] = "1";
          } else {
            ++counts.aligned;
          }
        }
        if (keep) {
          writer.write(r);
          ++counts.written;
        }
      }
      if (progress) progress(counts.records);
    }
    writer.close();
  }
  return counts;
}

}  // namespace jstip::align
