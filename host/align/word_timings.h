// A CTC path (frame -> unit) -> word start/end times and confidences.
//
// Frame f of the encoder covers [f, f + 1) x frame_seconds, the inverse of
// graph::FrameMapper (feature frame shift x encoder down-sampling). A word
// starts at the first frame its units occupy and ends after the last one
// (Boundaries::Spikes). A CTC head emits a unit on few frames (peaky
// posteriors), so that span is where the head fired, not the word's acoustic
// extent; Boundaries::Gaps instead puts the boundary between two words in
// the middle of the blank frames that separate them (the first start and
// the last end stay at the spikes). docs/alignment.md measures both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jstip::graph {
struct CtcPath;
}

namespace jstip::align {

struct WordTiming {
  double start = 0, end = 0;  // seconds
  float confidence = 0;       // geometric mean posterior of the word's unit frames, in (0, 1]
};

// `word_first_unit`: W + 1 offsets into the path's units (word w owns units
// [word_first_unit[w], word_first_unit[w + 1])). A word with no units (none
// in the vocabulary) gets an empty span where the next word starts and
// confidence 0. Times are clamped to `audio_seconds` when it is > 0.
enum class Boundaries { Spikes, Gaps };

std::vector<WordTiming> word_timings(const graph::CtcPath& path, const std::vector<int64_t>& word_first_unit,
                                     double frame_seconds, double audio_seconds,
                                     Boundaries boundaries = Boundaries::Spikes);

// Mean log posterior per frame of the path: the utterance's alignment
// score (0 is perfect; a transcript that does not match the audio scores low).
double path_score(const graph::CtcPath& path);

}  // namespace jstip::align
