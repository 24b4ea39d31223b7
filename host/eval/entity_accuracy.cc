#include "host/eval/entity_accuracy.h"

#include <stdexcept>

#include "host/data/text_normalizer.h"

namespace jstip::eval {

int64_t count_word_sequence(const std::vector<std::string>& haystack, const std::vector<std::string>& needle) {
  if (needle.empty() || needle.size() > haystack.size()) return 0;
  int64_t count = 0;
  for (size_t start = 0; start + needle.size() <= haystack.size();) {
    bool equal = true;
    for (size_t k = 0; k < needle.size() && equal; ++k) equal = haystack[start + k] == needle[k];
    if (equal) {
      ++count;
      start += needle.size();  // non-overlapping
    } else {
      ++start;
    }
  }
  return count;
}

std::vector<EntityResult> judge_entities(const std::string& id, const std::string& reference,
                                         const std::string& hypothesis, const std::vector<EntitySpan>& entities) {
  const std::vector<std::string> hyp_words = data::split_words(data::normalize_text(hypothesis));
  // Occurrences of each entity text still available in the hypothesis.
  std::map<std::string, int64_t> unused_occurrences;
  std::vector<EntityResult> results;
  results.reserve(entities.size());
  for (const auto& entity : entities) {
    if (entity.begin < 0 || entity.end < entity.begin || entity.end > static_cast<int64_t>(reference.size())) {
      throw std::invalid_argument("utterance '" + id + "': entity span [" + std::to_string(entity.begin) + ", " +
                                  std::to_string(entity.end) + ") is outside the reference of " +
                                  std::to_string(reference.size()) + " bytes");
    }
    EntityResult result;
    result.type = entity.type;
    result.words = data::normalize_text(reference.substr(entity.begin, entity.end - entity.begin));
    if (result.words.empty()) {
      throw std::invalid_argument("utterance '" + id + "': entity span [" + std::to_string(entity.begin) + ", " +
                                  std::to_string(entity.end) + ") of type '" + entity.type +
                                  "' holds no word; expected a span of the reference transcript");
    }
    auto it = unused_occurrences.find(result.words);
    if (it == unused_occurrences.end()) {
      it = unused_occurrences.emplace(result.words, count_word_sequence(hyp_words, data::split_words(result.words)))
               .first;
    }
    if (it->second > 0) {
      result.found = true;
      --it->second;
    }
    results.push_back(std::move(result));
  }
  return results;
}

EntityCounts count_entities(const std::vector<EntityResult>& results) {
  EntityCounts counts;
  for (const auto& r : results) {
    ++counts.total;
    counts.found += r.found ? 1 : 0;
  }
  return counts;
}

std::map<std::string, EntityCounts> count_entities_by_type(const std::vector<EntityResult>& results) {
  std::map<std::string, EntityCounts> by_type;
  for (const auto& r : results) {
    auto& counts = by_type[r.type];
    ++counts.total;
    counts.found += r.found ? 1 : 0;
  }
  return by_type;
}

}  // namespace jstip::eval
