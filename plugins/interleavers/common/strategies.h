// The interleaving strategies as plain functions, shared by the single-strategy
// plugins and the `jstip` mixture. Header-only: each plugin is its own library.
//
// Every plan starts with <s> (where the LLM expects one); every word given as text carries loss (also text
// that follows a speech span: that is how speech conditions text); </s> ends
// plans whose last span is text and is a target.
#pragma once

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

#include "plan_builder.h"

namespace jstip::interleave {

// --- asr: <s> [prompt] <speech>[all words]</speech> [answer] transcript* </s>* ---
// With a chat template, [prompt] opens the user turn and [answer] closes it and
// opens the assistant's: the speech stands where the user's content goes.
inline Plan plan_asr(const PlanInput& input, bool use_prompt) {
  Plan plan;
  plan.strategy = "asr";
  const auto n = static_cast<int32_t>(input.words.size());
  add_token(plan, input.special.bos, false);
  if (use_prompt) add_tokens(plan, input.prompt, false);
  add_speech_words(plan, input, 0, n);
  if (use_prompt) add_tokens(plan, input.answer_prefix, false);
  add_text_words(plan, input, 0, n, true);
  add_eos(plan, input);
  return plan;
}

// --- text_lm: <s> words* </s>* ---
inline Plan plan_text_lm(const PlanInput& input, bool append_eos) {
  Plan plan;
  plan.strategy = "text_lm";
  add_token(plan, input.special.bos, false);
  add_text_words(plan, input, 0, static_cast<int32_t>(input.words.size()), true);
  if (append_eos) add_eos(plan, input);
  return plan;
}

// Turns a per-word modality choice into spans, merging neighbours of the same
// modality so markers wrap whole runs.
inline void add_runs(Plan& plan, const PlanInput& input, const std::vector<uint8_t>& is_speech) {
  const auto n = static_cast<int32_t>(is_speech.size());
  for (int32_t begin = 0; begin < n;) {
    int32_t end = begin;
    while (end < n && is_speech[end] == is_speech[begin]) ++end;
    if (is_speech[begin]) {
      add_speech_words(plan, input, begin, end);
    } else {
      add_text_words(plan, input, begin, end, true);
    }
    begin = end;
  }
  add_eos(plan, input);
}

// --- word: runs of min_run..max_run words, each speech with probability speech_ratio ---
struct WordOptions {
  double speech_ratio = 0.5;
  int64_t min_run = 1;
  int64_t max_run = 3;
  bool force_mixed = true;  // at least one speech and one text run when there are >= 2 runs

  void check() const {
    if (speech_ratio < 0 || speech_ratio > 1) throw std::invalid_argument("speech_ratio must be in [0, 1]");
    if (min_run < 1 || max_run < min_run) throw std::invalid_argument("need 1 <= min_run <= max_run");
  }
};

inline Plan plan_word(const PlanInput& input, const WordOptions& options, std::mt19937_64& rng) {
  const auto n = static_cast<int64_t>(input.words.size());
  std::uniform_int_distribution<int64_t> run_length(options.min_run, options.max_run);
  std::bernoulli_distribution speech(options.speech_ratio);
  std::vector<uint8_t> is_speech(n);
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (int64_t w = 0; w < n;) {
    int64_t end = std::min(n, w + run_length(rng));
    runs.emplace_back(w, end);
    std::fill(is_speech.begin() + w, is_speech.begin() + end, speech(rng) ? 1 : 0);
    w = end;
  }
  if (options.force_mixed && runs.size() >= 2 && options.speech_ratio > 0 && options.speech_ratio < 1) {
    bool any_speech = std::count(is_speech.begin(), is_speech.end(), 1) > 0;
    bool any_text = std::count(is_speech.begin(), is_speech.end(), 0) > 0;
    if (!any_speech || !any_text) {  // flip one run, chosen at random
      auto [begin, end] = runs[std::uniform_int_distribution<size_t>(0, runs.size() - 1)(rng)];
      std::fill(is_speech.begin() + begin, is_speech.begin() + end, any_speech ? 0 : 1);
    }
  }
  Plan plan;
  plan.strategy = "word";
  add_token(plan, input.special.bos, false);
  add_runs(plan, input, is_speech);
  return plan;
}

// --- segment: a few segments cut at word boundaries, alternating modality ---
struct SegmentOptions {
  int64_t min_segments = 2;
  int64_t max_segments = 3;
  double start_speech_prob = 0.5;  // probability that the first segment is speech

  void check() const {
    if (min_segments < 1 || max_segments < min_segments)
      throw std::invalid_argument("need 1 <= min_segments <= max_segments");
    if (start_speech_prob < 0 || start_speech_prob > 1)
      throw std::invalid_argument("start_speech_prob must be in [0, 1]");
  }
};

inline Plan plan_segment(const PlanInput& input, const SegmentOptions& options, std::mt19937_64& rng) {
  const auto n = static_cast<int64_t>(input.words.size());
  int64_t segments = std::uniform_int_distribution<int64_t>(options.min_segments, options.max_segments)(rng);
  segments = std::max<int64_t>(1, std::min(segments, n));
  // segments-1 distinct cut points among the n-1 word boundaries.
  std::vector<int64_t> boundaries;
  for (int64_t b = 1; b < n; ++b) boundaries.push_back(b);
  std::shuffle(boundaries.begin(), boundaries.end(), rng);
  boundaries.resize(segments - 1);
  std::sort(boundaries.begin(), boundaries.end());
  boundaries.push_back(n);

  bool speech = std::bernoulli_distribution(options.start_speech_prob)(rng);
  std::vector<uint8_t> is_speech(n);
  int64_t begin = 0;
  for (int64_t end : boundaries) {
    std::fill(is_speech.begin() + begin, is_speech.begin() + end, speech ? 1 : 0);
    speech = !speech;
    begin = end;
  }
  Plan plan;
  plan.strategy = "segment";
  add_token(plan, input.special.bos, false);
  add_runs(plan, input, is_speech);
  return plan;
}

}  // namespace jstip::interleave
