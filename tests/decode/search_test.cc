// Greedy and beam search on a tiny randomly initialized speech-LLM composed
// from plugins (configs/tiny.yaml): beam 1 is greedy, a batch decodes like
// its rows one by one, the cached step equals a full recompute, and the
// length limit and repetition guard take effect.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>
#include <map>

#include "host/decode/repetition_guard.h"
#include "host/decode/search.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/llm.h"

namespace {

using namespace jstip;
using decode::Hypothesis;
using decode::SearchInput;
using decode::SearchOptions;

constexpr int32_t kBos = 1, kEos = 2, kSpeechBegin = 3, kSpeechEnd = 4;

class TinyModel {
 public:
  explicit TinyModel(const std::vector<std::string>& overrides = {}) {
    Config config = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, overrides);
    torch::manual_seed(7);
    composition_ = host::compose(config);
    model_ = std::make_shared<graph::SpeechLLM>(composition_);
    model_->eval();
    // Audio of 1.6 s, 0.9 s and 0.5 s (fbank frames), fixed by the seed.
    for (int64_t frames : {160, 90, 50}) features_.push_back(torch::randn({frames, 80}));
  }

  // Left-padded prefixes <s> prompt <speech>[audio]</speech> of the given utterances.
  SearchInput input(const std::vector<int>& rows, const std::vector<int64_t>& budgets) {
    torch::NoGradGuard no_grad;
    int64_t longest = 0;
    for (int r : rows) longest = std::max(longest, features_[r].size(0));
    auto features = torch::zeros({static_cast<int64_t>(rows.size()), longest, 80});
    std::vector<int64_t> lengths;
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& f = features_[rows[i]];
      features[static_cast<int64_t>(i)].narrow(0, 0, f.size(0)).copy_(f);
      lengths.push_back(f.size(0));
    }
    auto speech = model_->encode_speech(features, torch::tensor(lengths, torch::kLong));
    inputs_.assign(rows.size(), PlanInput{});
    plans_.assign(rows.size(), Plan{});
    std::vector<graph::PlannedSample> samples;
    for (size_t i = 0; i < rows.size(); ++i) {
      inputs_[i].id = "utt" + std::to_string(rows[i]);
      inputs_[i].has_audio = true;
      inputs_[i].words.push_back({"w", -1, -1, {10}});
      auto text = [](std::vector<int32_t> tokens) {
        Span s;
        s.tokens = tokens;
        s.loss.assign(tokens.size(), 0);
        return s;
      };
      Span audio;
      audio.modality = Span::Modality::Speech;
      audio.word_end = 1;
      plans_[i].spans = {text({kBos, 20, 21 + rows[i], 22}), text({kSpeechBegin}), audio, text({kSpeechEnd})};
      samples.push_back({&plans_[i], &inputs_[i], static_cast<int64_t>(i)});
    }
    auto batch = model_->splice_plans(samples, speech, graph::PadSide::Left);
    return {batch.embeddings, batch.key_mask, batch.positions, budgets};
  }

  LanguageModel& llm() { return model_->llm(); }

 private:
  host::Composition composition_;
  std::shared_ptr<graph::SpeechLLM> model_;
  std::vector<torch::Tensor> features_;
  std::vector<PlanInput> inputs_;
  std::vector<Plan> plans_;
};

SearchOptions options(int64_t beam) {
  SearchOptions o;
  o.beam = beam;
  o.eos = kEos;
  o.never_generate = {kBos, kSpeechBegin, kSpeechEnd};
  o.repeat_ngram = 0;  // off unless a test turns it on
  return o;
}

std::vector<Hypothesis> run(TinyModel& m, const std::vector<int>& rows, const std::vector<int64_t>& budgets,
                            const SearchOptions& o) {
  torch::NoGradGuard no_grad;
  return decode::search(m.llm(), m.input(rows, budgets), o);
}

// Occurrences of each n-gram of a token sequence.
std::map<std::vector<int32_t>, int> ngram_counts(const std::vector<int32_t>& tokens, size_t n) {
  std::map<std::vector<int32_t>, int> counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) ++counts[std::vector<int32_t>(tokens.begin() + i, tokens.begin() + i + n)];
  return counts;
}

TEST(Search, BeamOneEqualsGreedy) {
  TinyModel m;
  for (int64_t guard : {0, 2}) {
    SearchOptions o = options(1);
    o.repeat_ngram = guard;
    o.repeat_max = 1;
    auto greedy = decode::greedy_search(m.llm(), m.input({0, 1, 2}, {12, 12, 12}), o);
    auto beam = decode::beam_search(m.llm(), m.input({0, 1, 2}, {12, 12, 12}), o);
    ASSERT_EQ(greedy.size(), 3u);
    for (size_t b = 0; b < 3; ++b) {
      EXPECT_FALSE(greedy[b].tokens.empty());
      EXPECT_EQ(greedy[b].tokens, beam[b].tokens) << "row " << b << ", guard " << guard;
      EXPECT_EQ(greedy[b].ended_with_eos, beam[b].ended_with_eos);
      EXPECT_NEAR(greedy[b].log_prob, beam[b].log_prob, 1e-3);
    }
  }
  // Again with a token the model does produce as EOS, so hypotheses also end by EOS.
  SearchOptions o = options(1);
  o.eos = decode::greedy_search(m.llm(), m.input({0, 1, 2}, {12, 12, 12}), o)[0].tokens.at(3);
  auto greedy = decode::greedy_search(m.llm(), m.input({0, 1, 2}, {12, 12, 12}), o);
  auto beam = decode::beam_search(m.llm(), m.input({0, 1, 2}, {12, 12, 12}), o);
  ASSERT_TRUE(greedy[0].ended_with_eos);
  EXPECT_LE(greedy[0].tokens.size(), 3u);
  for (size_t b = 0; b < 3; ++b) {
    EXPECT_EQ(greedy[b].tokens, beam[b].tokens) << "row " << b << " with eos " << o.eos;
    EXPECT_EQ(greedy[b].ended_with_eos, beam[b].ended_with_eos);
  }
}

TEST(Search, BatchedEqualsOneByOne) {
  TinyModel m;
  for (int64_t beam : {1, 3}) {
    auto batched = run(m, {0, 1, 2}, {10, 6, 8}, options(beam));
    for (int r = 0; r < 3; ++r) {
      auto single = run(m, {r}, {std::vector<int64_t>{10, 6, 8}[r]}, options(beam));
      EXPECT_EQ(batched[r].tokens, single[0].tokens) << "row " << r << ", beam " << beam;
      EXPECT_NEAR(batched[r].log_prob, single[0].log_prob, 1e-3) << "row " << r << ", beam " << beam;
    }
  }
}

TEST(Search, BeamScoresAreLengthNormalizedLogProbs) {
  TinyModel m;
  SearchOptions o = options(4);
  o.length_penalty = 0.7;
  for (const auto& h : run(m, {0, 1, 2}, {9, 9, 9}, o)) {
    const double length = static_cast<double>(h.tokens.size() + (h.ended_with_eos ? 1 : 0));
    EXPECT_NEAR(h.score, h.log_prob / std::pow(length, 0.7), 1e-9);
    EXPECT_LT(h.log_prob, 0);
  }
}

void expect_cached_step_equals_recompute(TinyModel& m) {
  torch::NoGradGuard no_grad;
  SearchInput in = m.input({0, 2}, {0, 0});  // rows of different lengths: row 1 is left-padded
  KVCache cache;
  auto& llm = m.llm();
  auto prefix = llm.forward_embeddings(in.embeddings, in.key_mask, in.positions, &cache);
  auto mask = in.key_mask, next = in.positions.select(1, -1) + 1;
  auto tokens = torch::tensor({{30, 31, 32}, {40, 41, 42}}, torch::kLong);
  torch::Tensor cached;
  for (int64_t t = 0; t < 3; ++t) {
    auto column = tokens.select(1, t).view({-1, 1});
    mask = torch::cat({mask, torch::ones({2, 1}, torch::kBool)}, 1);
    cached = llm.forward_embeddings(llm.embed(column), mask, (next + t).view({-1, 1}), &cache).logits.select(1, 0);
  }
  // The same positions without a cache, all at once.
  auto embeddings = torch::cat({in.embeddings, llm.embed(tokens)}, 1);
  auto positions = torch::cat({in.positions, next.view({-1, 1}) + torch::arange(3).view({1, -1})}, 1);
  auto full = llm.forward_embeddings(embeddings, mask, positions, nullptr).logits.select(1, -1);
  EXPECT_TRUE(torch::allclose(cached, full, 1e-4, 1e-4)) << (cached - full).abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(prefix.logits.select(1, -1), llm.forward_embeddings(in.embeddings, in.key_mask,
                                                                                   in.positions, nullptr)
                                                               .logits.select(1, -1),
                              1e-5, 1e-5));
}

TEST(Search, KvCachedStepEqualsFullRecompute) {
  TinyModel llama;
  expect_cached_step_equals_recompute(llama);
  TinyModel gpt2({"llm.type=gpt2", "llm.vocab_size=256", "llm.hidden_size=64", "llm.num_layers=2",
                  "llm.num_heads=4"});
  expect_cached_step_equals_recompute(gpt2);
}

TEST(Search, LengthLimitStopsEveryHypothesis) {
  TinyModel m;
  for (int64_t beam : {1, 3}) {
    SearchOptions o = options(beam);
    o.eos = -1;  // nothing ends a hypothesis but its budget
    auto hyps = run(m, {0, 1, 2}, {7, 3, 0}, o);
    EXPECT_EQ(hyps[0].tokens.size(), 7u) << "beam " << beam;
    EXPECT_EQ(hyps[1].tokens.size(), 3u) << "beam " << beam;
    EXPECT_TRUE(hyps[2].tokens.empty()) << "beam " << beam;
    for (const auto& h : hyps) EXPECT_FALSE(h.ended_with_eos);
  }
}

TEST(Search, NeverGeneratedIdsAndIdsBeyondTheTokenizerDoNotAppear) {
  TinyModel m;
  SearchOptions o = options(2);
  o.eos = -1;
  o.valid_vocab = 100;
  for (const auto& h : run(m, {0, 1}, {20, 20}, o))
    for (int32_t t : h.tokens) {
      EXPECT_LT(t, 100);
      EXPECT_NE(t, kBos);
      EXPECT_NE(t, kSpeechBegin);
      EXPECT_NE(t, kSpeechEnd);
    }
}

// CTC logits [rows, 20, 257] that spell `paths[r]` in row r (each unit 3 frames, a blank frame between), lengths 4 per unit + 2.
std::pair<torch::Tensor, torch::Tensor> peaked_ctc(const std::vector<std::vector<int32_t>>& paths) {
  const int64_t blank = 256;
  auto logits = torch::zeros({static_cast<int64_t>(paths.size()), 20, blank + 1});
  std::vector<int64_t> lengths;
  for (size_t r = 0; r < paths.size(); ++r) {
    int64_t t = 0;
    for (int32_t unit : paths[r]) {
      for (int i = 0; i < 3; ++i) logits[int64_t(r)][t++][unit] = 12;
      logits[int64_t(r)][t++][blank] = 12;
    }
    logits[int64_t(r)][t++][blank] = 12;
    logits[int64_t(r)][t++][blank] = 12;
    lengths.push_back(t);
  }
  return {logits, torch::tensor(lengths, torch::kLong)};
}

TEST(Search, JointCtcSearchFollowsAConfidentCtcHead) {
  TinyModel m;
  const std::vector<std::vector<int32_t>> paths = {{30, 31, 40, 40}, {50, 51}, {60}};
  auto [logits, lengths] = peaked_ctc(paths);
  for (int64_t beam : {1, 3}) {
    SearchOptions o = options(beam);
    o.ctc_weight = 0.7;
    o.ctc_pre_beam = 0;  // every token is a candidate
    torch::NoGradGuard no_grad;
    SearchInput in = m.input({0, 1, 2}, {12, 12, 12});
    in.ctc_logits = logits;
    in.ctc_lengths = lengths;
    auto hyps = decode::search(m.llm(), in, o);
    for (size_t r = 0; r < 3; ++r) {
      EXPECT_EQ(hyps[r].tokens, paths[r]) << "row " << r << ", beam " << beam;
      EXPECT_TRUE(hyps[r].ended_with_eos) << "row " << r << ", beam " << beam;
    }
    // The LLM alone says something else: the CTC head made the difference.
    o.ctc_weight = 0;
    auto llm_only = decode::search(m.llm(), m.input({0, 1, 2}, {12, 12, 12}), o);
    EXPECT_NE(llm_only[0].tokens, paths[0]);
  }
}

TEST(Search, JointCtcSearchKeepsToTheLlmsPreBeam) {
  TinyModel m;
  torch::NoGradGuard no_grad;
  SearchOptions o = options(2);
  o.eos = -1;
  o.ctc_weight = 1.0;
  o.ctc_pre_beam = 3;
  SearchInput in = m.input({0}, {4});
  auto [logits, lengths] = peaked_ctc({{30, 31, 32, 33}});
  in.ctc_logits = logits;
  in.ctc_lengths = lengths;
  auto joint = decode::search(m.llm(), in, o)[0];
  // Replay: every token must be among the LLM's 3 best after the tokens before it.
  SearchInput replay = m.input({0}, {1});
  auto embeddings = replay.embeddings;
  auto mask = replay.key_mask, positions = replay.positions;
  for (size_t i = 0; i < joint.tokens.size(); ++i) {
    auto logits_now = m.llm().forward_embeddings(embeddings, mask, positions, nullptr).logits.select(1, -1)[0].clone();
    for (int32_t banned : o.never_generate) logits_now[banned] = -std::numeric_limits<float>::infinity();
    auto top = std::get<1>(logits_now.topk(3));
    EXPECT_TRUE(top.eq(joint.tokens[i]).any().item<bool>()) << "token " << i;
    auto token = torch::tensor({{int64_t(joint.tokens[i])}}, torch::kLong);
    embeddings = torch::cat({embeddings, m.llm().embed(token)}, 1);
    mask = torch::cat({mask, torch::ones({1, 1}, torch::kBool)}, 1);
    positions = torch::cat({positions, positions.select(1, -1).view({1, 1}) + 1}, 1);
  }
  EXPECT_EQ(joint.tokens.size(), 4u);
}

TEST(Search, JointCtcSearchNeedsTheCtcHead) {
  TinyModel m;
  SearchOptions o = options(2);
  o.ctc_weight = 0.5;
  EXPECT_THROW(run(m, {0}, {5}, o), std::invalid_argument);
}

TEST(RepetitionGuard, BansTheTokenThatWouldRepeatAnNgramTooOften) {
  // a b a b a: the bigram "a b" occurs twice, and the history ends with "a".
  auto history = torch::tensor({{5, 6, 5, 6, 5}}, torch::kLong);
  auto bans = decode::repetition_bans(history, 2, 2, 10);
  ASSERT_TRUE(bans.defined());
  EXPECT_TRUE(bans[0][6].item<bool>());
  EXPECT_EQ(bans.sum().item<int64_t>(), 1);
  EXPECT_FALSE(decode::repetition_bans(history, 2, 3, 10).any().item<bool>());   // twice is allowed 3 times
  auto unigram = decode::repetition_bans(history, 1, 2, 10);                      // 5 x3, 6 x2
  EXPECT_TRUE(unigram[0][5].item<bool>() && unigram[0][6].item<bool>());
  EXPECT_EQ(unigram.sum().item<int64_t>(), 2);
  EXPECT_FALSE(decode::repetition_bans(history, 0, 2, 10).defined());  // off
  EXPECT_FALSE(decode::repetition_bans(history, 4, 3, 10).defined());  // too short to repeat
}

TEST(RepetitionGuard, TakesEffectInTheSearch) {
  TinyModel m;
  for (int64_t beam : {1, 3}) {
    SearchOptions off = options(beam);
    off.eos = -1;
    SearchOptions on = off;
    on.repeat_ngram = 2;
    on.repeat_max = 1;  // no bigram twice
    auto free_run = run(m, {0, 1, 2}, {40, 40, 40}, off);
    auto guarded = run(m, {0, 1, 2}, {40, 40, 40}, on);
    int repeated_without_guard = 0;
    for (size_t b = 0; b < 3; ++b) {
      ASSERT_EQ(guarded[b].tokens.size(), 40u);
      for (const auto& [gram, count] : ngram_counts(guarded[b].tokens, 2)) EXPECT_LE(count, 1) << "beam " << beam;
      for (const auto& [gram, count] : ngram_counts(free_run[b].tokens, 2)) repeated_without_guard += count > 1;
    }
    // The random model loops when left alone, so the guard had something to do.
    EXPECT_GT(repeated_without_guard, 0) << "beam " << beam;
  }
}

}  // namespace
