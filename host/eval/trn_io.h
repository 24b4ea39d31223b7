// NIST trn transcripts, the input of `sctk sclite -r REF trn -h HYP trn -i rm`:
// one utterance per line, "words (speaker-utterance)".
#pragma once

#include <string>
#include <vector>

namespace jstip::eval {

struct TrnEntry {
  std::string speaker;  // "spk" when empty
  std::string id;
  std::string text;  // normalized words
};

// "(speaker-id)"; whitespace and parentheses in either part become "_" since
// they would end the tag early.
std::string trn_tag(const std::string& speaker, const std::string& id);

// "text (speaker-id)".
std::string trn_line(const TrnEntry& entry);

// Writes one line per entry; throws std::runtime_error naming the path.
void write_trn_file(const std::string& path, const std::vector<TrnEntry>& entries);

}  // namespace jstip::eval
