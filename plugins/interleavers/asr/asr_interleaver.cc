// `asr`: <s> [prompt] <speech>[whole utterance]</speech> transcript* </s>*
// The classic speech-LLM ASR sample; the loss is on the transcript only.
#include "jstip/interleaver.h"
#include "jstip/plugin.h"
#include "../common/strategies.h"

namespace {

class AsrInterleaver : public jstip::Interleaver {
 public:
  explicit AsrInterleaver(const jstip::Config& config) : use_prompt_(config.get_bool("use_prompt")) {}

  jstip::Plan plan(const jstip::PlanInput& input, std::mt19937_64&) const override {
    return jstip::interleave::plan_asr(input, use_prompt_);
  }

  bool needs_audio() const override { return true; }
  bool needs_timings() const override { return false; }  // the whole utterance is one speech span

 private:
  bool use_prompt_;
};

const jstip_option_desc kOptions[] = {
    {"use_prompt", JSTIP_OPT_BOOL, "true", "put the task prompt (the shared prompt definition) before the speech"},
};

}  // namespace

JSTIP_PLUGIN(AsrInterleaver, "interleaver", "asr", "1.0.0",
             "ASR-only: prompt + speech of the whole utterance -> transcript", kOptions)
