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

// Words of a normalized text (split on single spaces).
std::vector<std::string> split_words(const std::string& normalized);

// "1234" -> "one thousand two hundred thirty four" (0 <= n < 10^15).
std::string number_to_words(unsigned long long n);

}  // namespace jstip::data
