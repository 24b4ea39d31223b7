// Word and character error rates over a corpus of (reference, hypothesis)
// pairs, both passed through the one jstip text normalization first
// (host/data/text_normalizer.h), so that casing, punctuation and digits never
// count as errors.
//
// WER = (S + D + I) / (S + D + C) over all words of the corpus (not a mean of
// per-utterance rates). CER is the same on characters: the UTF-8 code points
// of the normalized words, spaces left out (as `sclite -c`).
#pragma once

#include <string>
#include <vector>

#include "host/eval/edit_alignment.h"

namespace jstip::eval {

struct UtteranceErrors {
  std::string id;
  std::string reference;   // normalized
  std::string hypothesis;  // normalized
  Alignment words;
  Alignment characters;
};

// Errors / reference length; 0 for an empty reference without errors and 1
// for an empty reference with (only) insertions, so that the rate is defined.
double error_rate(const EditCounts& counts);

// The UTF-8 code points of the words of a normalized text, spaces dropped.
std::vector<std::string> character_tokens(const std::string& normalized);

UtteranceErrors score_utterance(const std::string& id, const std::string& reference,
                                const std::string& hypothesis);

struct CorpusErrors {
  std::vector<UtteranceErrors> utterances;
  EditCounts words;
  EditCounts characters;

  double wer() const { return error_rate(words); }
  double cer() const { return error_rate(characters); }
};

struct ScoringPair {
  std::string id, reference, hypothesis;
};

CorpusErrors score_corpus(const std::vector<ScoringPair>& pairs);

}  // namespace jstip::eval
