#include "host/data/bpe_pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace jstip::data {
namespace {

const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* kDigitPattern = R"(\p{N})";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char*>(buffer);
}

// One match-data block per thread, shared by every pattern: none has capture
// groups, so one ovector pair suffices.
pcre2_match_data* thread_match_data() {
  struct Holder {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    ~Holder() { pcre2_match_data_free(data); }
  };
  thread_local Holder holder;
  if (!holder.data) throw std::bad_alloc();
  return holder.data;
}

size_t utf8_length(unsigned char lead) {
  return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
}

}  // namespace

class BpePreTokenizer::Regex {
 public:
  explicit Regex(const char* pattern) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &error,
                          &offset, nullptr);
    if (!code_)
      throw std::logic_error(std::string("pre-tokenizer regex ") + pattern + ": " + pcre2_message(error) +
                             " at offset " + std::to_string(offset));
    // JIT is a speed-up only: without it (a PCRE2 built without JIT) pcre2_match interprets.
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);
  }
  ~Regex() { pcre2_code_free(code_); }

  // Appends matches and the text between them, in order.
  void split(std::string_view text, std::vector<std::string_view>* pieces) const {
    pcre2_match_data* match = thread_match_data();
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t start = 0, kept = 0;
    while (start < text.size()) {
      const int rc = pcre2_match(code_, subject, text.size(), start, PCRE2_NO_UTF_CHECK, match, nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) throw std::runtime_error("pre-tokenizer: regex match failed: " + pcre2_message(rc));
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
      const size_t begin = ov[0], end = ov[1];
      if (end == begin) {  // an empty match (none of ours can): step over one character
        start = begin + utf8_length(static_cast<unsigned char>(text[begin]));
        continue;
      }
      if (begin > kept) pieces->push_back(text.substr(kept, begin - kept));
      pieces->push_back(text.substr(begin, end - begin));
      kept = start = end;
    }
    if (kept < text.size()) pieces->push_back(text.substr(kept));
  }

 private:
  pcre2_code* code_ = nullptr;
};

const char* pre_tokenizer_name(PreTokenizerKind kind) { return kind == PreTokenizerKind::Smollm ? "smollm" : "gpt2"; }

BpePreTokenizer::BpePreTokenizer(PreTokenizerKind kind)
    : kind_(kind),
      gpt2_(std::make_unique<Regex>(kGpt2Pattern)),
      digit_(kind == PreTokenizerKind::Smollm ? std::make_unique<Regex>(kDigitPattern) : nullptr) {}

BpePreTokenizer::~BpePreTokenizer() = default;

void BpePreTokenizer::split(std::string_view text, std::vector<std::string_view>* pieces) const {
  if (!digit_) return gpt2_->split(text, pieces);
  thread_local std::vector<std::string_view> stretches;
  stretches.clear();
  digit_->split(text, &stretches);
  for (std::string_view stretch : stretches) gpt2_->split(stretch, pieces);
}

}  // namespace jstip::data
