// Plans of every interleaving strategy, through the real plugins.
#include <gtest/gtest.h>

#include <map>

#include "host/runtime/config_loader.h"
#include "host/runtime/plugin_registry.h"
#include "jstip/interleaver.h"

namespace {

using jstip::Plan;
using jstip::PlanInput;
using jstip::Span;

constexpr int32_t kBos = 1, kEos = 2, kSpeechBegin = 3, kSpeechEnd = 4;

std::shared_ptr<jstip::Interleaver> make(const std::string& yaml) {
  static auto registry = jstip::host::PluginRegistry::scan({JSTIP_BUILD_PLUGIN_DIR});
  jstip::Config config(jstip::host::parse_yaml(yaml, "test.yaml"), "interleaver");
  return registry->create_as<jstip::Interleaver>(config.get_string("type"), "interleaver", config);
}

// n timed words; word w has tokens {100+2w, 101+2w} (two tokens, to check
// that words are never split).
PlanInput sample(int n, bool timed = true) {
  PlanInput input;
  input.id = "utt";
  for (int w = 0; w < n; ++w)
    input.words.push_back({"w" + std::to_string(w), timed ? 0.3 * w : -1, timed ? 0.3 * w + 0.25 : -1,
                           {100 + 2 * w, 101 + 2 * w}});
  input.has_audio = true;
  input.has_timings = timed;
  input.prompt = {50, 51};
  input.special = {kBos, kEos, kSpeechBegin, kSpeechEnd};
  return input;
}

bool is_word_token(int32_t t) { return t >= 100; }

// Every plan: starts with <s>; covers each word exactly once, in order, as
// speech or as text; word tokens carry loss, <s>/markers/prompt do not;
// speech spans are wrapped in markers; ends with </s> as a target.
std::vector<uint8_t> check_plan(const Plan& plan, const PlanInput& input) {
  std::vector<uint8_t> speech_of_word;
  EXPECT_FALSE(plan.spans.empty());
  EXPECT_EQ(plan.spans.front().tokens, std::vector<int32_t>{kBos});
  EXPECT_EQ(plan.spans.front().loss, std::vector<uint8_t>{0});
  int32_t next_word = 0;
  for (size_t i = 0; i < plan.spans.size(); ++i) {
    const Span& span = plan.spans[i];
    if (span.modality == Span::Modality::Speech) {
      EXPECT_TRUE(span.tokens.empty());
      EXPECT_EQ(plan.spans[i - 1].tokens, std::vector<int32_t>{kSpeechBegin});
      EXPECT_EQ(plan.spans[i + 1].tokens, std::vector<int32_t>{kSpeechEnd});
    }
    EXPECT_EQ(span.tokens.size(), span.loss.size());
    for (size_t t = 0; t < span.tokens.size(); ++t) {
      bool target = is_word_token(span.tokens[t]) || span.tokens[t] == kEos;
      EXPECT_EQ(span.loss[t], target ? 1 : 0) << "token " << span.tokens[t];
    }
    if (span.word_end > span.word_begin) {
      // asr: the transcript repeats the words the speech span covered.
      if (plan.strategy == "asr" && span.modality == Span::Modality::Text && span.word_begin == 0) {
        EXPECT_EQ(span.word_end, static_cast<int32_t>(input.words.size()));
        next_word = 0;
        speech_of_word.clear();
      }
      EXPECT_EQ(span.word_begin, next_word) << "words out of order or skipped";
      if (span.modality == Span::Modality::Text) {
        std::vector<int32_t> expected;
        for (int32_t w = span.word_begin; w < span.word_end; ++w)
          expected.insert(expected.end(), input.words[w].tokens.begin(), input.words[w].tokens.end());
        EXPECT_EQ(span.tokens, expected);
      }
      for (int32_t w = span.word_begin; w < span.word_end; ++w)
        speech_of_word.push_back(span.modality == Span::Modality::Speech);
      next_word = span.word_end;
    }
  }
  EXPECT_EQ(next_word, static_cast<int32_t>(input.words.size()));
  EXPECT_EQ(plan.spans.back().tokens, std::vector<int32_t>{kEos});
  EXPECT_EQ(plan.spans.back().loss, std::vector<uint8_t>{1});
  return speech_of_word;
}

int modality_switches(const std::vector<uint8_t>& speech) {
  int switches = 0;
  for (size_t w = 1; w < speech.size(); ++w) switches += speech[w] != speech[w - 1];
  return switches;
}

TEST(AsrStrategy, PromptSpeechThenTranscript) {
  auto asr = make("type: asr\n");
  auto input = sample(4);
  std::mt19937_64 rng(1);
  Plan plan = asr->plan(input, rng);
  check_plan(plan, input);
  ASSERT_EQ(plan.spans.size(), 7u);  // <s> prompt <speech> [w0-3] </speech> words </s>
  EXPECT_EQ(plan.spans[1].tokens, input.prompt);
  EXPECT_EQ(plan.spans[3].word_begin, 0);
  EXPECT_EQ(plan.spans[3].word_end, 4);
  EXPECT_EQ(plan.loss_tokens(), 9);  // 8 word tokens + </s>
  EXPECT_FALSE(asr->needs_timings());
}

TEST(TextLmStrategy, EveryTokenIsATarget) {
  auto text_lm = make("type: text_lm\n");
  auto input = sample(3);
  std::mt19937_64 rng(1);
  Plan plan = text_lm->plan(input, rng);
  check_plan(plan, input);
  EXPECT_EQ(plan.speech_spans(), 0);
  EXPECT_EQ(plan.loss_tokens(), 7);
  EXPECT_FALSE(text_lm->needs_audio());
}

TEST(WordStrategy, SpeechRatioHoldsStatistically) {
  for (double ratio : {0.3, 0.5, 0.8}) {
    auto word = make("type: word\nspeech_ratio: " + std::to_string(ratio) + "\nforce_mixed: false\n");
    auto input = sample(20);
    std::mt19937_64 rng(7);
    int64_t speech_words = 0, words = 0;
    for (int i = 0; i < 2000; ++i) {
      auto speech = check_plan(word->plan(input, rng), input);
      for (auto s : speech) speech_words += s;
      words += speech.size();
    }
    // 40k words in ~20k runs: the share's standard error is about 0.005.
    EXPECT_NEAR(static_cast<double>(speech_words) / words, ratio, 0.02) << "speech_ratio " << ratio;
  }
}

TEST(WordStrategy, RunsRespectMinAndMaxRun) {
  // With speech_ratio 0.5 runs of one modality merge, so test the run cutter
  // through alternation: every run boundary is a possible switch, and no
  // single-modality stretch between switches can be shorter than min_run
  // except at the end of the utterance.
  auto word = make("type: word\nmin_run: 2\nmax_run: 4\n");
  auto input = sample(15);
  std::mt19937_64 rng(3);
  for (int i = 0; i < 500; ++i) {
    auto speech = check_plan(word->plan(input, rng), input);
    size_t begin = 0;
    for (size_t w = 1; w <= speech.size(); ++w) {
      if (w < speech.size() && speech[w] == speech[begin]) continue;
      if (w < speech.size()) EXPECT_GE(w - begin, 2u) << "a run shorter than min_run";
      begin = w;
    }
  }
}

TEST(WordStrategy, ForceMixedGivesBothModalities) {
  auto word = make("type: word\nspeech_ratio: 0.05\nmin_run: 1\nmax_run: 1\n");
  auto input = sample(6);
  std::mt19937_64 rng(11);
  for (int i = 0; i < 300; ++i) EXPECT_GE(modality_switches(check_plan(word->plan(input, rng), input)), 1);
}

TEST(WordStrategy, DeterministicBySeed) {
  auto word = make("type: word\n");
  auto input = sample(12);
  std::mt19937_64 a(42), b(42), c(43);
  std::string first = jstip::render_plan(word->plan(input, a), input);
  EXPECT_EQ(first, jstip::render_plan(word->plan(input, b), input));
  bool differs = false;
  for (int i = 0; i < 5 && !differs; ++i) differs = first != jstip::render_plan(word->plan(input, c), input);
  EXPECT_TRUE(differs);
}

TEST(WordStrategy, BadOptionsAreRefusedByName) {
  try {
    make("type: word\nmin_run: 3\nmax_run: 2\n");
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("plugin 'word'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("min_run <= max_run"), std::string::npos) << e.what();
  }
}

TEST(SegmentStrategy, SegmentCountAndAlternation) {
  auto segment = make("type: segment\nmin_segments: 2\nmax_segments: 4\n");
  auto input = sample(10);
  std::mt19937_64 rng(5);
  std::map<int, int> counts;
  int speech_first = 0;
  for (int i = 0; i < 3000; ++i) {
    auto speech = check_plan(segment->plan(input, rng), input);
    int segments = modality_switches(speech) + 1;  // alternating: every cut switches
    EXPECT_GE(segments, 2);
    EXPECT_LE(segments, 4);
    counts[segments]++;
    speech_first += speech[0];
  }
  for (int k = 2; k <= 4; ++k) EXPECT_NEAR(counts[k] / 3000.0, 1 / 3.0, 0.04) << k << " segments";
  EXPECT_NEAR(speech_first / 3000.0, 0.5, 0.04);
}

TEST(SegmentStrategy, StartModalityProbability) {
  auto segment = make("type: segment\nstart_speech_prob: 1.0\nmin_segments: 2\nmax_segments: 2\n");
  auto input = sample(5);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 200; ++i) {
    auto speech = check_plan(segment->plan(input, rng), input);
    EXPECT_EQ(speech.front(), 1);  // speech prefix...
    EXPECT_EQ(speech.back(), 0);   // ...then text continuation
  }
}

TEST(SegmentStrategy, ShortUtterancesGetFewerSegments) {
  auto segment = make("type: segment\nmin_segments: 3\nmax_segments: 3\n");
  auto input = sample(2);
  std::mt19937_64 rng(2);
  EXPECT_EQ(modality_switches(check_plan(segment->plan(input, rng), input)), 1);
}

TEST(JstipMixture, StrategiesFollowTheWeights) {
  auto mixture = make("type: jstip\nword_weight: 0.5\nsegment_weight: 0.3\nasr_weight: 0.2\n");
  auto input = sample(8);
  std::mt19937_64 rng(13);
  std::map<std::string, int> counts;
  for (int i = 0; i < 4000; ++i) {
    Plan plan = mixture->plan(input, rng);
    check_plan(plan, input);
    counts[plan.strategy]++;
  }
  EXPECT_NEAR(counts["word"] / 4000.0, 0.5, 0.03);
  EXPECT_NEAR(counts["segment"] / 4000.0, 0.3, 0.03);
  EXPECT_NEAR(counts["asr"] / 4000.0, 0.2, 0.03);
}

TEST(JstipMixture, UntimedSamplesBecomeAsrSamples) {
  auto mixture = make("type: jstip\n");
  auto input = sample(8, /*timed=*/false);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(mixture->plan(input, rng).strategy, "asr");
}

TEST(RenderPlan, ShowsModalitiesAndTargets) {
  auto segment = make("type: segment\nstart_speech_prob: 1.0\nmin_segments: 2\nmax_segments: 2\n");
  auto input = sample(3);
  std::mt19937_64 rng(0);
  std::string text = jstip::render_plan(segment->plan(input, rng), input);
  // e.g. "segment: <s> <speech> [speech w0-0 "w0"] </speech> w1* w2* </s>*"
  EXPECT_EQ(text.rfind("segment: <s> <speech> [speech w0-", 0), 0u) << text;
  EXPECT_NE(text.find("</speech> w"), std::string::npos) << text;
  EXPECT_EQ(text.substr(text.size() - 9), "w2* </s>*") << text;
}

}  // namespace
