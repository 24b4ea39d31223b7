// The one text normalization of jstip, used for training targets, synthesis
// input and scoring alike (a mismatch between them shows up as false errors):
//   - numbers become English words ("42" -> "forty two", "3.5" -> "three point
//     five", "2nd" -> "second"), "%" -> "percent", "&" -> "and";
//   - ASCII letters are lower-cased (other UTF-8 text is kept as is);
//   - apostrophes inside words stay ("don't"), curly ones become "'";
//   - every other punctuation mark separates words; whitespace collapses.
#pragma once

#include <string>
#include <vector>

namespace jstip::data {

std::string normalize_text(const std::string& text);

// The same normalization, keeping for each normalized word what it was
// written as. Written tokens are the text's whitespace-separated runs. Each
// token goes, punctuation attached, to the first word made from it ("Dr."
// -> "dr", "Smith," -> "smith"); further words from the same token carry ""
// ("200" -> "two" "200", "hundred" ""; "rock-and-roll" -> "rock-and-roll",
// "", ""). A token that makes no word ("-", "...") joins the previous
// word's form after a space, or the next word's when none precedes. So the
// non-empty forms joined by spaces are `written` (when there is a word).
struct NormalizedWord {
  std::string text;     // normalized
  std::string written;  // as above; "" for a word continuing its token
};
struct NormalizedText {
  std::string text;                  // == normalize_text(input)
  std::string written;               // the input, whitespace runs as one space, trimmed
  std::vector<NormalizedWord> words; // split_words(text), with their written forms
};
NormalizedText normalize_written(const std::string& text);

// The two steps of normalize_written, for callers that normalize a text in
// pieces (entity markup: each piece alone, so spans land on word bounds).
// A normalized word and the byte offset in the input where it begins.
struct SourcedWord {
  std::string text;
  size_t source = 0;
};
std::vector<SourcedWord> normalize_sourced(const std::string& text);
// Written forms for words sourced from `text` (sources in increasing order,
// each on a non-space byte of `text`).
NormalizedText attach_written(const std::string& text, const std::vector<SourcedWord>& words);

// Words of a normalized text (split on single spaces).
std::vector<std::string> split_words(const std::string& normalized);

// "1234" -> "one thousand two hundred thirty four" (0 <= n < 10^15).
std::string number_to_words(unsigned long long n);

}  // namespace jstip::data
