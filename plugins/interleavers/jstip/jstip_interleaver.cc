// `jstip`: the reference mixture. Each sample draws one strategy — word,
// segment or asr — with the configured weights, then plans with it.
// Samples without word timings can only be `asr` samples: they fall back to it.
#include <array>

#include "jstip/interleaver.h"
#include "jstip/plugin.h"
#include "../common/strategies.h"

namespace {

using namespace jstip::interleave;

class JstipInterleaver : public jstip::Interleaver {
 public:
  explicit JstipInterleaver(const jstip::Config& config)
      : weights_{config.get_double("word_weight"), config.get_double("segment_weight"),
                 config.get_double("asr_weight")},
        use_prompt_(config.get_bool("asr_use_prompt")) {
    for (double w : weights_)
      if (w < 0) throw std::invalid_argument("strategy weights must be >= 0");
    if (weights_[0] + weights_[1] + weights_[2] <= 0) throw std::invalid_argument("some strategy weight must be > 0");
    word_.speech_ratio = config.get_double("word_speech_ratio");
    word_.min_run = config.get_int("word_min_run");
    word_.max_run = config.get_int("word_max_run");
    word_.check();
    segment_.min_segments = config.get_int("segment_min_segments");
    segment_.max_segments = config.get_int("segment_max_segments");
    segment_.start_speech_prob = config.get_double("segment_start_speech_prob");
    segment_.check();
  }

  jstip::Plan plan(const jstip::PlanInput& input, std::mt19937_64& rng) const override {
    std::discrete_distribution<int> pick(weights_.begin(), weights_.end());
    int choice = pick(rng);
    if (!input.has_timings) choice = 2;
    switch (choice) {
      case 0: return plan_word(input, word_, rng);
      case 1: return plan_segment(input, segment_, rng);
      default: return plan_asr(input, use_prompt_);
    }
  }
  bool needs_audio() const override { return true; }
  bool needs_timings() const override { return false; }  // untimed samples become asr samples

 private:
  std::array<double, 3> weights_;  // word, segment, asr
  bool use_prompt_;
  WordOptions word_;
  SegmentOptions segment_;
};

const jstip_option_desc kOptions[] = {
    {"word_weight", JSTIP_OPT_FLOAT, "0.4", "share of samples interleaved at word level"},
    {"segment_weight", JSTIP_OPT_FLOAT, "0.4", "share of samples interleaved at segment level"},
    {"asr_weight", JSTIP_OPT_FLOAT, "0.2", "share of plain ASR samples"},
    {"asr_use_prompt", JSTIP_OPT_BOOL, "true", "task prompt before the speech of asr samples"},
    {"word_speech_ratio", JSTIP_OPT_FLOAT, "0.5", "word: expected share of words given as speech"},
    {"word_min_run", JSTIP_OPT_INT, "1", "word: fewest words in a run"},
    {"word_max_run", JSTIP_OPT_INT, "3", "word: most words in a run"},
    {"segment_min_segments", JSTIP_OPT_INT, "2", "segment: fewest segments"},
    {"segment_max_segments", JSTIP_OPT_INT, "3", "segment: most segments"},
    {"segment_start_speech_prob", JSTIP_OPT_FLOAT, "0.5", "segment: probability the first segment is speech"},
};

}  // namespace

JSTIP_PLUGIN(JstipInterleaver, "interleaver", "jstip", "1.0.0",
             "JSTIP mixture: word-level, segment-level and ASR samples by weight", kOptions)
