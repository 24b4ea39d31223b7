// Entity accuracy: the share of reference entity occurrences whose exact
// normalized words appear as a whole-word match in the hypothesis, overall
// and per entity type.
//
// Rules (docs/evaluation.md):
//   - An entity is a byte span [begin, end) of the reference transcript plus
//     a type; its words are normalize_text() of that span.
//   - A match is a contiguous run of hypothesis words equal to the entity's
//     words, so "aspirin" does not match inside "aspirins" and casing or
//     punctuation never matter.
//   - Repeats count: reference entities with the same words share the
//     non-overlapping occurrences of those words in the hypothesis. With k
//     such reference entities and m occurrences in the hypothesis, the first
//     min(k, m) of them (in reference order) are hits. An entity said twice
//     must therefore be recognized twice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace jstip::eval {

struct EntitySpan {
  int64_t begin = 0, end = 0;  // bytes into the reference, end exclusive
  std::string type;
};

struct EntityResult {
  std::string type;
  std::string words;  // normalized
  bool found = false;
};

struct EntityCounts {
  int64_t found = 0, total = 0;
  double accuracy() const { return total == 0 ? 0.0 : static_cast<double>(found) / static_cast<double>(total); }
  EntityCounts& operator+=(const EntityCounts& other) {
    found += other.found;
    total += other.total;
    return *this;
  }
};

// Throws std::invalid_argument naming `id` when a span lies outside the
// reference or holds no word.
std::vector<EntityResult> judge_entities(const std::string& id, const std::string& reference,
                                         const std::string& hypothesis, const std::vector<EntitySpan>& entities);

// Counts of a list of judgements: overall and by type.
EntityCounts count_entities(const std::vector<EntityResult>& results);
std::map<std::string, EntityCounts> count_entities_by_type(const std::vector<EntityResult>& results);

// Number of non-overlapping whole-word occurrences of `needle` in `haystack`
// (word lists), scanning left to right.
int64_t count_word_sequence(const std::vector<std::string>& haystack, const std::vector<std::string>& needle);

}  // namespace jstip::eval
