// `text_lm`: <s> text* </s>* — plain language modelling on text-only samples,
// the text half of joint speech-text training.
#include "jstip/interleaver.h"
#include "jstip/plugin.h"
#include "../common/strategies.h"

namespace {

class TextLmInterleaver : public jstip::Interleaver {
 public:
  explicit TextLmInterleaver(const jstip::Config& config) : append_eos_(config.get_bool("append_eos")) {}

  jstip::Plan plan(const jstip::PlanInput& input, std::mt19937_64&) const override {
    return jstip::interleave::plan_text_lm(input, append_eos_);
  }

  bool needs_audio() const override { return false; }
  bool needs_timings() const override { return false; }

 private:
  bool append_eos_;
};

const jstip_option_desc kOptions[] = {
    {"append_eos", JSTIP_OPT_BOOL, "true", "end each sample with </s> as a target"},
};

}  // namespace

JSTIP_PLUGIN(TextLmInterleaver, "interleaver", "text_lm", "1.0.0", "Text-only language-model samples", kOptions)
