// Word timings: whether a record's spans can be used at all (one rule for
// import and training), and how well they agree with the audio's own energy:
// an independent check of a synthesizer's (or an aligner's) word boundaries.
// 10 ms frames are "sound" above `silence_db` of the utterance's loudest
// frame. Per utterance: the first word should start where sound starts, the
// last end where it ends, and every pause inside the speech (a silent run of
// at least `min_pause_ms`) should fall on a word boundary, not inside a word.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jstip::data {

struct TimingCheckOptions {
  double silence_db = -40;
  double min_pause_ms = 100;  // shorter silences are stop closures inside words
  double tolerance_ms = 30;   // slack when matching a pause to a boundary
};

struct WordSpan {
  double start = 0, end = 0;  // seconds
};

// A word may end this long after the audio: rounding in aligners' frame times.
constexpr double kWordEndSlackSeconds = 0.05;

// Why `span` cannot be used, or "" when it can: it ends before it starts,
// starts before `previous_start` (the previous timed word's start), or ends
// after the audio. audio_seconds <= 0: the length is unknown, not checked.
// Corpus import and SampleBuilder both use it, so import refuses exactly what
// training would.
std::string word_span_problem(const WordSpan& span, double previous_start, double audio_seconds);

class TimingAgreement {
 public:
  explicit TimingAgreement(TimingCheckOptions options = {}) : options_(options) {}

  // One utterance: 16 kHz samples and its words' spans, in order.
  void add(const std::vector<float>& samples_16k, const std::vector<WordSpan>& words);

  int64_t utterances() const { return int64_t(onset_errors_ms_.size()); }
  int64_t pauses() const { return pauses_; }
  int64_t pauses_at_boundary() const { return pauses_at_boundary_; }
  double median_onset_error_ms() const;   // |first word start - first sound|
  double median_offset_error_ms() const;  // |last word end - end of last sound|
  double sound_share_of_words() const;    // share of word time that is sound
  std::string summary() const;            // one line of the figures above

 private:
  TimingCheckOptions options_;
  std::vector<double> onset_errors_ms_, offset_errors_ms_;
  int64_t pauses_ = 0, pauses_at_boundary_ = 0;
  double word_frames_ = 0, word_sound_frames_ = 0;
};

}  // namespace jstip::data
