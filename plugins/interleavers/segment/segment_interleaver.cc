// `segment`: segment-level interleaving. The utterance is cut at word
// boundaries into min_segments..max_segments segments that alternate speech
// and text (speech prefix then text continuation, or the reverse).
#include "jstip/interleaver.h"
#include "jstip/plugin.h"
#include "../common/strategies.h"

namespace {

jstip::interleave::SegmentOptions segment_options(const jstip::Config& config) {
  jstip::interleave::SegmentOptions options;
  options.min_segments = config.get_int("min_segments");
  options.max_segments = config.get_int("max_segments");
  options.start_speech_prob = config.get_double("start_speech_prob");
  options.check();
  return options;
}

class SegmentInterleaver : public jstip::Interleaver {
 public:
  explicit SegmentInterleaver(const jstip::Config& config) : options_(segment_options(config)) {}

  jstip::Plan plan(const jstip::PlanInput& input, std::mt19937_64& rng) const override {
    return jstip::interleave::plan_segment(input, options_, rng);
  }
  bool needs_audio() const override { return true; }
  bool needs_timings() const override { return true; }

 private:
  jstip::interleave::SegmentOptions options_;
};

const jstip_option_desc kOptions[] = {
    {"min_segments", JSTIP_OPT_INT, "2", "fewest segments per utterance"},
    {"max_segments", JSTIP_OPT_INT, "3", "most segments per utterance"},
    {"start_speech_prob", JSTIP_OPT_FLOAT, "0.5", "probability that the first segment is speech"},
};

}  // namespace

JSTIP_PLUGIN(SegmentInterleaver, "interleaver", "segment", "1.0.0",
             "Segment-level interleave: alternating speech and text segments", kOptions)
