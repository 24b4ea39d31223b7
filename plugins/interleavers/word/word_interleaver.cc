// `word`: word-level interleaving. The utterance is a run of words; each run
// of min_run..max_run words is given as its speech frames (probability
// speech_ratio) or as its text tokens. Loss on every text token.
#include "jstip/interleaver.h"
#include "jstip/plugin.h"
#include "../common/strategies.h"

namespace {

jstip::interleave::WordOptions word_options(const jstip::Config& config) {
  jstip::interleave::WordOptions options;
  options.speech_ratio = config.get_double("speech_ratio");
  options.min_run = config.get_int("min_run");
  options.max_run = config.get_int("max_run");
  options.force_mixed = config.get_bool("force_mixed");
  options.check();
  return options;
}

class WordInterleaver : public jstip::Interleaver {
 public:
  explicit WordInterleaver(const jstip::Config& config) : options_(word_options(config)) {}

  jstip::Plan plan(const jstip::PlanInput& input, std::mt19937_64& rng) const override {
    return jstip::interleave::plan_word(input, options_, rng);
  }
  bool needs_audio() const override { return true; }
  bool needs_timings() const override { return true; }

 private:
  jstip::interleave::WordOptions options_;
};

const jstip_option_desc kOptions[] = {
    {"speech_ratio", JSTIP_OPT_FLOAT, "0.5", "expected share of words given as speech"},
    {"min_run", JSTIP_OPT_INT, "1", "fewest words in a run of one modality"},
    {"max_run", JSTIP_OPT_INT, "3", "most words in a run of one modality"},
    {"force_mixed", JSTIP_OPT_BOOL, "true", "flip a run when a sample came out all speech or all text"},
};

}  // namespace

JSTIP_PLUGIN(WordInterleaver, "interleaver", "word", "1.0.0",
             "Word-level interleave: runs of words as speech or text", kOptions)
