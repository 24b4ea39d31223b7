// `speech_prefix`: an example third-party interleaving strategy.
//
//   <s> <speech>[first k words]</speech> remaining words* </s>*
//
// The speech of an utterance's opening words is followed by its text
// continuation, which carries the loss: the model must pick up a sentence
// that started in speech. Needs word timings (the speech is cut at word k).
#include <algorithm>

#include "jstip/interleaver.h"
#include "jstip/plugin.h"

namespace {

class SpeechPrefixInterleaver : public jstip::Interleaver {
 public:
  explicit SpeechPrefixInterleaver(const jstip::Config& config)
      : min_words_(config.get_int("min_prefix_words")), max_fraction_(config.get_double("max_prefix_fraction")) {
    if (min_words_ < 1) throw std::invalid_argument("min_prefix_words must be >= 1");
    if (max_fraction_ <= 0 || max_fraction_ > 1) throw std::invalid_argument("max_prefix_fraction must be in (0, 1]");
  }

  jstip::Plan plan(const jstip::PlanInput& input, std::mt19937_64& rng) const override {
    const auto n = static_cast<int64_t>(input.words.size());
    const int64_t most = std::max<int64_t>(1, static_cast<int64_t>(n * max_fraction_));
    const int64_t least = std::min(min_words_, most);
    const int64_t prefix = std::uniform_int_distribution<int64_t>(least, most)(rng);

    jstip::Plan plan;
    plan.strategy = "speech_prefix";
    push_tokens(plan, {input.special.bos}, false);
    push_tokens(plan, {input.special.speech_begin}, false);
    jstip::Span speech;
    speech.modality = jstip::Span::Modality::Speech;
    speech.word_begin = 0;
    speech.word_end = static_cast<int32_t>(prefix);
    plan.spans.push_back(speech);
    push_tokens(plan, {input.special.speech_end}, false);

    jstip::Span text;
    text.word_begin = static_cast<int32_t>(prefix);
    text.word_end = static_cast<int32_t>(n);
    for (int64_t w = prefix; w < n; ++w)
      text.tokens.insert(text.tokens.end(), input.words[w].tokens.begin(), input.words[w].tokens.end());
    text.loss.assign(text.tokens.size(), 1);
    if (!text.tokens.empty()) plan.spans.push_back(text);
    push_tokens(plan, {input.special.eos}, true);
    return plan;
  }

  bool needs_audio() const override { return true; }
  bool needs_timings() const override { return true; }

 private:
  static void push_tokens(jstip::Plan& plan, std::vector<int32_t> tokens, bool loss) {
    tokens.erase(std::remove(tokens.begin(), tokens.end(), -1), tokens.end());  // undefined specials
    if (tokens.empty()) return;
    jstip::Span span;
    span.tokens = tokens;
    span.loss.assign(tokens.size(), loss ? 1 : 0);
    plan.spans.push_back(span);
  }

  int64_t min_words_;
  double max_fraction_;
};

const jstip_option_desc kOptions[] = {
    {"min_prefix_words", JSTIP_OPT_INT, "1", "fewest words given as speech"},
    {"max_prefix_fraction", JSTIP_OPT_FLOAT, "0.5", "largest share of the words given as speech"},
};

}  // namespace

JSTIP_PLUGIN(SpeechPrefixInterleaver, "interleaver", "speech_prefix", "0.1.0",
             "Example: speech of the opening words, then their text continuation", kOptions)
