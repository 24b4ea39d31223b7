// `jstip align` over shards: every input shard becomes a shard of the same
// name in the output folder (written atomically, records in their order),
// with word timings in the records that aligned. Records that fail to align
// (a transcript too long for its audio, characters outside the CTC units)
// and records whose score is below align.min_score are dropped, or with
// align.poor=flag kept and marked (metadata align_poor=1 / align_error).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/align/align_options.h"

namespace jstip::align {

class Aligner;

struct AlignCounts {
  int64_t records = 0;   // read
  int64_t aligned = 0;   // written with timings and a score >= min_score
  int64_t poor = 0;      // aligned, but scored below min_score
  int64_t failed = 0;    // no alignment (error)
  int64_t text_only = 0; // copied unchanged
  int64_t written = 0;   // records in the output shards
  double score_sum = 0;  // over aligned + poor
  std::vector<std::string> examples;  // the first few failures and poor records, for the log
};

AlignCounts run_align_job(Aligner& aligner, const std::vector<std::string>& shards, const std::string& out_dir,
                          const AlignSettings& settings, const std::function<void(int64_t)>& progress = {});

}  // namespace jstip::align
