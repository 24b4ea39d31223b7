// One decoded record: what hyp.jsonl and the trn files need of it (no audio).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/decode/search.h"
#include "host/eval/entity_accuracy.h"

namespace jstip::decode {

struct DecodedUtterance {
  // From the record.
  std::string id, speaker, reference;    // reference: the transcript (QA: the spoken question)
  std::vector<eval::EntitySpan> entities;  // byte spans of `reference`
  std::vector<std::string> answers;        // QA: metadata "answers", split at '|'
  double audio_seconds = 0;

  // From the search.
  Hypothesis hypothesis;
  std::string text;  // the hypothesis tokens detokenized
  int64_t prefix_length = 0;  // LLM positions of the prompt (speech frames included)
  int64_t max_new_tokens = 0;

  // The batch it was decoded in (shared by its rows).
  int64_t batch_size = 0;
  double batch_seconds = 0;   // features + encoder + prefix + search
  double encode_seconds = 0;  // features + encoder + projector + splicing
  double search_seconds = 0;  // prefix pass + search steps
};

}  // namespace jstip::decode
