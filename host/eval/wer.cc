#include "host/eval/wer.h"

#include <algorithm>

#include "host/data/text_normalizer.h"

namespace jstip::eval {

double error_rate(const EditCounts& counts) {
  const int64_t length = counts.reference_length();
  if (length == 0) return counts.errors() == 0 ? 0.0 : 1.0;
  return static_cast<double>(counts.errors()) / static_cast<double>(length);
}

std::vector<std::string> character_tokens(const std::string& normalized) {
  std::vector<std::string> characters;
  for (size_t i = 0; i < normalized.size();) {
    const unsigned char lead = static_cast<unsigned char>(normalized[i]);
    // Length of the UTF-8 sequence from its lead byte; a stray continuation
    // byte is taken alone rather than rejected (scoring must not throw on
    // odd model output).
    size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
    length = std::min(length, normalized.size() - i);
    if (lead != ' ') characters.push_back(normalized.substr(i, length));
    i += length;
  }
  return characters;
}

UtteranceErrors score_utterance(const std::string& id, const std::string& reference,
                                const std::string& hypothesis) {
  UtteranceErrors result;
  result.id = id;
  result.reference = data::normalize_text(reference);
  result.hypothesis = data::normalize_text(hypothesis);
  result.words = align_tokens(data::split_words(result.reference), data::split_words(result.hypothesis));
  result.characters = align_tokens(character_tokens(result.reference), character_tokens(result.hypothesis));
  return result;
}

CorpusErrors score_corpus(const std::vector<ScoringPair>& pairs) {
  CorpusErrors corpus;
  corpus.utterances.reserve(pairs.size());
  for (const auto& pair : pairs) {
    corpus.utterances.push_back(score_utterance(pair.id, pair.reference, pair.hypothesis));
    corpus.words += corpus.utterances.back().words.counts;
    corpus.characters += corpus.utterances.back().characters.counts;
  }
  return corpus;
}

}  // namespace jstip::eval
