// The config's `align` section (jstip align), given on the command line as
// overrides of the checkpoint's config (align.min_score=-0.5):
//
//   align:
//     min_score: -1.0   # mean log posterior per frame of the best path; below: poor
//     poor: drop        # drop poor records, or flag: keep them (timings and
//                       #   metadata align_poor=1) for a look
//     boundaries: spikes  # word spans: the frames where the CTC head fired
//                         #   (spikes), or split the blanks between words (gaps)
//     batch_size: 8     # records per encoder batch
//     device: cpu       # or cuda, cuda:N
#pragma once

#include <cstdint>
#include <string>

#include "host/align/word_timings.h"
#include "jstip/config.h"

namespace jstip::align {

struct AlignSettings {
  double min_score = -1.0;
  bool drop_poor = true;
  Boundaries boundaries = Boundaries::Spikes;
  int64_t batch_size = 8;
  std::string device = "cpu";
};

// Absent keys keep the defaults; unknown keys and bad values are ConfigErrors.
AlignSettings align_settings_from_config(const Config& config);

}  // namespace jstip::align
