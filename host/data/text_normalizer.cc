#include "host/data/text_normalizer.h"

#include <cctype>
#include <stdexcept>

namespace jstip::data {
namespace {

const char* kOnes[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                       "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                       "seventeen", "eighteen", "nineteen"};
const char* kTens[] = {"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
const char* kScales[] = {"", "thousand", "million", "billion", "trillion"};

std::string below_thousand(unsigned n) {
  std::string out;
  if (n >= 100) {
    out = std::string(kOnes[n / 100]) + " hundred";
    n %= 100;
    if (n == 0) return out;
    out += ' ';
  }
  if (n < 20) return out + kOnes[n];
  out += kTens[n / 10];
  if (n % 10) out += std::string(" ") + kOnes[n % 10];
  return out;
}

// "one" -> "first", "twenty" -> "twentieth", applied to the last word.
std::string to_ordinal(const std::string& cardinal) {
  static const std::pair<const char*, const char*> irregular[] = {
      {"one", "first"}, {"two", "second"}, {"three", "third"}, {"five", "fifth"},
      {"eight", "eighth"}, {"nine", "ninth"}, {"twelve", "twelfth"}};
  const size_t cut = cardinal.rfind(' ') == std::string::npos ? 0 : cardinal.rfind(' ') + 1;
  std::string head = cardinal.substr(0, cut), last = cardinal.substr(cut);
  for (const auto& [from, to] : irregular)
    if (last == from) return head + to;
  if (!last.empty() && last.back() == 'y') return head + last.substr(0, last.size() - 1) + "ieth";
  return head + last + "th";
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(unsigned char c) { return std::isalnum(c) || c >= 0x80; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Reads a number at text[i] (digits, "," thousands groups, one decimal part)
// and returns its words; i moves past it.
std::string read_number(const std::string& text, size_t& i) {
  std::string digits;
  auto digit_at = [&](size_t k) { return k < text.size() && is_digit(text[k]); };
  while (i < text.size()) {
    if (is_digit(text[i])) {
      digits += text[i++];
    } else if (text[i] == ',' && !digits.empty() && digit_at(i + 1) && digit_at(i + 2) && digit_at(i + 3) &&
               !digit_at(i + 4)) {
      ++i;  // a thousands separator: "1,000"
    } else {
      break;
    }
  }
  std::string words;
  if (digits.size() > 15) {  // too long to read as a number: digit by digit
    for (char d : digits) words += std::string(words.empty() ? "" : " ") + kOnes[d - '0'];
  } else {
    words = number_to_words(std::stoull(digits));
  }
  if (i + 1 < text.size() && text[i] == '.' && is_digit(text[i + 1])) {
    words += " point";
    for (++i; i < text.size() && is_digit(text[i]); ++i) words += std::string(" ") + kOnes[text[i] - '0'];
  }
  // Ordinal suffixes: 1st 2nd 3rd 4th.
  if (i + 1 < text.size()) {
    std::string suffix{char(std::tolower(text[i])), char(std::tolower(text[i + 1]))};
    const bool ends = i + 2 >= text.size() || !is_word_char(text[i + 2]);
    if (ends && (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th")) {
      i += 2;
      return to_ordinal(words);
    }
  }
  return words;
}

}  // namespace

std::string number_to_words(unsigned long long n) {
  if (n == 0) return "zero";
  std::string out;
  for (int scale = 4; scale >= 0; --scale) {
    unsigned long long unit = 1;
    for (int k = 0; k < scale; ++k) unit *= 1000;
    const auto group = unsigned((n / unit) % 1000);
    if (group == 0) continue;
    if (!out.empty()) out += ' ';
    out += below_thousand(group);
    if (scale > 0) out += std::string(" ") + kScales[scale];
  }
  return out;
}

std::vector<SourcedWord> normalize_sourced(const std::string& text) {
  std::vector<SourcedWord> words;
  bool open = false;  // the last word may still grow
  auto separate = [&] { open = false; };
  // Appends normalized characters read at text[source]; a space ends a word.
  auto emit = [&](const std::string& chars, size_t source) {
    for (char ch : chars) {
      if (ch == ' ') {
        open = false;
        continue;
      }
      if (!open) words.push_back({"", source});
      open = true;
      words.back().text += ch;
    }
  };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (is_digit(char(c))) {
      const size_t begin = i;
      separate();
      emit(read_number(text, i), begin);
      separate();
      continue;
    }
    // U+2019 (right single quote) is an apostrophe.
    const bool curly = c == 0xE2 && i + 2 < text.size() && uint8_t(text[i + 1]) == 0x80 && uint8_t(text[i + 2]) == 0x99;
    if (c == '\'' || curly) {
      const size_t next = i + (curly ? 3 : 1);
      const bool inside = open && next < text.size() && is_word_char(uint8_t(text[next]));
      if (inside) emit("'", i);
      else separate();
      i = next;
      continue;
    }
    if (c == '%') { separate(); emit("percent ", i); ++i; continue; }
    if (c == '&') { separate(); emit("and ", i); ++i; continue; }
    if (c >= 0x80 || std::isalpha(c)) {
      emit(std::string(1, char(std::tolower(c))), i);
      ++i;
      continue;
    }
    separate();  // whitespace and all other punctuation
    ++i;
  }
  return words;
}

std::string normalize_text(const std::string& text) {
  std::string out;
  for (const auto& word : normalize_sourced(text)) out += (out.empty() ? "" : " ") + word.text;
  return out;
}

NormalizedText attach_written(const std::string& text, const std::vector<SourcedWord>& words) {
  // The written tokens: whitespace-separated runs, as [begin, end).
  std::vector<std::pair<size_t, size_t>> tokens;
  for (size_t i = 0; i < text.size();) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    const size_t begin = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    tokens.push_back({begin, i});
  }
  NormalizedText out;
  // The first word made from each token (-1: none).
  std::vector<long> first_word(tokens.size(), -1);
  size_t t = 0;
  for (size_t w = 0; w < words.size(); ++w) {
    const size_t source = words[w].source;
    if (w > 0 && source < words[w - 1].source)
      throw std::invalid_argument("attach_written: word '" + words[w].text + "' is sourced before the word ahead of it");
    while (t < tokens.size() && tokens[t].second <= source) ++t;
    if (t == tokens.size() || source < tokens[t].first)
      throw std::invalid_argument("attach_written: word '" + words[w].text + "' is sourced at byte " +
                                  std::to_string(source) + ", not inside a written token");
    if (first_word[t] < 0) first_word[t] = long(w);
    out.text += (out.text.empty() ? "" : " ") + words[w].text;
    out.words.push_back({words[w].text, ""});
  }
  long owner = -1;      // the word holding the latest token
  std::string pending;  // word-less tokens before the first word
  for (size_t k = 0; k < tokens.size(); ++k) {
    const std::string token = text.substr(tokens[k].first, tokens[k].second - tokens[k].first);
    out.written += (out.written.empty() ? "" : " ") + token;
    if (first_word[k] >= 0) {
      owner = first_word[k];
      out.words[size_t(owner)].written = pending.empty() ? token : pending + " " + token;
      pending.clear();
    } else if (owner >= 0) {
      out.words[size_t(owner)].written += " " + token;
    } else {
      pending += (pending.empty() ? "" : " ") + token;
    }
  }
  return out;
}

NormalizedText normalize_written(const std::string& text) { return attach_written(text, normalize_sourced(text)); }

std::vector<std::string> split_words(const std::string& normalized) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < normalized.size()) {
    size_t end = normalized.find(' ', start);
    if (end == std::string::npos) end = normalized.size();
    if (end > start) words.push_back(normalized.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

}  // namespace jstip::data
