// Byte-level BPE: small hand-made vocabularies (merge order, added tokens,
// refusals) and SmolLM2's tokenizer against the Hugging Face ids in
// tests/fixtures/tokenizer/smollm2_ids.jsonl (scripts/reference/tokenizer_fixtures.py).
#include "host/data/byte_bpe_tokenizer.h"
#include "host/runtime/utf8.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "host/data/byte_level.h"
#include "host/data/text_normalizer.h"
#include "host/data/tokenizer_fingerprint.h"
#include "jstip/json.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

namespace fs = std::filesystem;

// ---- a hand-made vocabulary: the 256 bytes, some merges, two added tokens ----

ByteBpeDefinition small_definition() {
  ByteBpeDefinition d;
  d.source = "small";
  for (const auto& s : byte_level::byte_symbols()) d.pieces.push_back(s);
  auto add = [&](const std::string& left, const std::string& right) {
    d.pieces.push_back(left + right);
    d.merges.emplace_back(left, right);
  };
  add("b", "c");        // rank 0
  add("a", "b");        // rank 1: loses to "b c" in "abc"
  add("x", "x");        // rank 2: "xxx" merges leftmost first
  add("\xC4\xA0", "t");  // "Ġ" + "t"
  add("h", "e");
  add("\xC4\xA0t", "he");  // " the"
  for (const std::string special : {"<s>", "<s>x"}) {
    d.added.push_back({int(d.pieces.size()), special, true, false});
    d.pieces.push_back(special);
  }
  d.bos = d.added[0].id;
  return d;
}

int id(const Tokenizer& t, const std::string& piece) { return t.token_id(piece).value(); }

TEST(ByteBpe, MergesByRankThenLeftmost) {
  const ByteLevelBpeTokenizer t(small_definition());
  EXPECT_EQ(t.encode("abc"), (std::vector<int>{'a', id(t, "bc")}));
  EXPECT_EQ(t.encode("xxx"), (std::vector<int>{id(t, "xx"), 'x'}));
  EXPECT_EQ(t.encode("xxxx"), (std::vector<int>{id(t, "xx"), id(t, "xx")}));
  EXPECT_EQ(t.encode(" the"), (std::vector<int>{id(t, "\xC4\xA0the")}));
  // "the" at the start has no space: no merge makes "the".
  EXPECT_EQ(t.encode("the"), (std::vector<int>{'t', id(t, "he")}));
  EXPECT_EQ(t.pieces(t.encode("a the")), (std::vector<std::string>{"a", "\xC4\xA0the"}));
}

TEST(ByteBpe, AddedTokensLeftmostLongest) {
  const ByteLevelBpeTokenizer t(small_definition());
  const int s = id(t, "<s>"), sx = id(t, "<s>x");
  EXPECT_EQ(t.encode("<s>x<s>"), (std::vector<int>{sx, s}));
  EXPECT_EQ(t.encode("a<s>b"), (std::vector<int>{'a', s, 'b'}));
  EXPECT_EQ(t.encode("<s"), (std::vector<int>{'<', 's'}));
  EXPECT_EQ(t.decode(t.encode("<s>x<s> the")), "<s>x<s> the");
  EXPECT_FALSE(t.token_id("the").has_value());
  EXPECT_EQ(t.bos_id(), s);
  EXPECT_EQ(t.eos_id(), -1);
  EXPECT_FALSE(t.expects_bos());
}

TEST(ByteBpe, RefusesInvalidUtf8NamingTheOffset) {
  const ByteLevelBpeTokenizer t(small_definition());
  for (const std::string bad : {"ab\xFF", "ab\xC3", "ab\xED\xA0\x80" /* surrogate */, "ab\xC0\xAF" /* overlong */}) {
    try {
      t.encode(bad);
      ADD_FAILURE() << "accepted invalid UTF-8";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("byte 2"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(t.decode({-1}), std::out_of_range);
  EXPECT_THROW(t.decode({t.vocab_size()}), std::out_of_range);
  EXPECT_THROW(t.pieces({t.vocab_size()}), std::out_of_range);
}

TEST(ByteBpe, DecodeInvertsEncodeOnRandomText) {
  const ByteLevelBpeTokenizer t(small_definition());
  std::mt19937 rng(7);
  const uint32_t ranges[][2] = {{0x01, 0x7F}, {0x80, 0x7FF}, {0x800, 0xD7FF}, {0xE000, 0xFFFF}, {0x10000, 0x10FFFF}};
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int length = int(rng() % 40);
    for (int i = 0; i < length; ++i) {
      const auto& r = ranges[rng() % 5];
      jstip::utf8::append(r[0] + rng() % (r[1] - r[0] + 1), &text);
      if (rng() % 4 == 0) text += " <s>x"[rng() % 5];
    }
    ASSERT_EQ(t.decode(t.encode(text)), text) << trial;
  }
}

TEST(ByteBpe, RefusesBadDefinitions) {
  auto refused = [](ByteBpeDefinition d, const std::string& words) {
    try {
      ByteLevelBpeTokenizer t(std::move(d));
      ADD_FAILURE() << "accepted a definition that should fail with '" << words << "'";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("small"), std::string::npos) << "names the source: " << e.what();
    }
  };
  ByteBpeDefinition d = small_definition();
  d.pieces['a'] = "\xC4\xA0t";
  refused(d, "appears twice");
  d = small_definition();
  d.merges.emplace_back("q", "z");
  refused(d, "outside the vocabulary");
  d = small_definition();
  d.merges.push_back(d.merges[0]);
  refused(d, "appears twice");
  d = small_definition();
  d.added[0].content = "<t>";
  refused(d, "differs from the vocabulary");
  d = small_definition();
  d.pieces['a'] = "not-a";
  refused(d, "not a byte-level BPE vocabulary");
  d = small_definition();
  d.eos = 100000;
  refused(d, "outside the vocabulary");
}

// ---- tokenizer.json: loading, refusing, the folder form, fingerprints ----

std::string write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ByteBpe, TokenizerJsonRoundTripAndRefusals) {
  testing::ScratchDir dir("byte-bpe-json");
  const ByteLevelBpeTokenizer small(small_definition());
  fs::create_directories(dir.path("hf"));
  write_tokenizer_json(small, dir.path("hf/tokenizer.json"));
  const auto loaded = load_tokenizer(dir.path("hf"));  // the folder form
  EXPECT_EQ(loaded->kind(), "byte_bpe");
  EXPECT_EQ(loaded->vocab_size(), small.vocab_size());
  for (const std::string text : {"abc xxx the <s>x<s>", " the the", "a\tb\n"})
    EXPECT_EQ(loaded->encode(text), small.encode(text)) << text;
  EXPECT_EQ(loaded->bos_id(), -1) << "tokenizer.json alone names no bos";

  // tokenizer_config.json beside it: bos/eos/pad, add_bos_token; part of the fingerprint.
  const auto before = fingerprint_tokenizer(dir.path("hf"), loaded->vocab_size());
  write_text(dir.path("hf/tokenizer_config.json"),
             R"({"bos_token": {"content": "<s>"}, "eos_token": "<s>x", "add_bos_token": true})");
  const auto configured = load_tokenizer(dir.path("hf/tokenizer.json"));
  EXPECT_EQ(configured->bos_id(), id(small, "<s>"));
  EXPECT_EQ(configured->eos_id(), id(small, "<s>x"));
  EXPECT_TRUE(configured->expects_bos());
  EXPECT_EQ(configured->definition_files(),
            (std::vector<std::string>{dir.path("hf/tokenizer.json"), dir.path("hf/tokenizer_config.json")}));
  EXPECT_EQ(tokenizer_definition_files(dir.path("hf")), configured->definition_files());
  const auto after = fingerprint_tokenizer(*configured);
  EXPECT_NE(before.crc32c, after.crc32c);
  EXPECT_EQ(fingerprint_tokenizer(dir.path("hf"), configured->vocab_size()).crc32c, after.crc32c);

  // Each unsupported setting is refused with the file and the key named.
  const std::string text = [&] {
    std::ifstream in(dir.path("hf/tokenizer.json"));
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  const std::pair<std::string, std::string> edits[] = {
      {R"("normalizer": null)", R"("normalizer": {"type": "NFC"})"},
      {R"("add_prefix_space": false)", R"("add_prefix_space": true)"},
      {R"("lstrip": false)", R"("lstrip": true)"},
      {R"("type": "BPE")", R"("type": "WordPiece")"},
      {R"("byte_fallback": false)", R"("byte_fallback": true)"},
      {R"("dropout": null)", R"("dropout": 0.1)"},
  };
  const std::string keys[] = {"normalizer", "add_prefix_space", "lstrip", "model.type", "model.byte_fallback",
                              "model.dropout"};
  for (size_t i = 0; i < std::size(edits); ++i) {
    const size_t at = text.find(edits[i].first);
    ASSERT_NE(at, std::string::npos) << edits[i].first;
    std::string bad = text;
    bad.replace(at, edits[i].first.size(), edits[i].second);
    const std::string path = write_text(dir.path("bad" + std::to_string(i) + ".json"), bad);
    try {
      load_tokenizer(path);
      ADD_FAILURE() << "accepted " << edits[i].second;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(keys[i]), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(load_tokenizer(dir.path("")), std::runtime_error) << "a folder without tokenizer.json";
  EXPECT_THROW(load_tokenizer(write_text(dir.path("x.txt"), "")), std::runtime_error) << "unknown extension";
}

// ---- SmolLM2 against the Hugging Face ids ----

const std::string kGguf = JSTIP_SOURCE_DIR "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
const std::string kFixture = JSTIP_SOURCE_DIR "/tests/fixtures/tokenizer/smollm2_ids.jsonl";

struct Case {
  std::string text, source;
  std::vector<int> ids;
};

std::vector<Case> read_cases() {
  std::ifstream in(kFixture);
  EXPECT_TRUE(in) << kFixture;
  std::vector<Case> cases;
  for (std::string line; std::getline(in, line);) {
    const Json j = Json::parse(line);
    Case c{j.get_string("text", ""), j.get_string("source", ""), {}};
    for (const Json& i : j.find("ids")->items()) c.ids.push_back(int(i.as_int()));
    cases.push_back(std::move(c));
  }
  return cases;
}

class SmolLm2 : public ::testing::Test {
 protected:
  // The GGUF; or, when set, the tokenizer.json that scripts/reference/tokenizer_fixtures.py
  // --save-tokenizer-json wrote, named by JSTIP_SMOLLM2_TOKENIZER_JSON.
  static void SetUpTestSuite() {
    const char* json = std::getenv("JSTIP_SMOLLM2_TOKENIZER_JSON");
    if (json && *json && fs::exists(json)) {
      tokenizer_ = ByteLevelBpeTokenizer::from_tokenizer_json(json);
      return;
    }
    if (fs::exists(kGguf)) tokenizer_ = ByteLevelBpeTokenizer::from_gguf(kGguf), from_gguf_ = true;
  }
  void SetUp() override {
    if (!tokenizer_)
      GTEST_SKIP() << kGguf << " is absent (scripts/install-deps.sh installs it) and "
                   << "JSTIP_SMOLLM2_TOKENIZER_JSON names no tokenizer.json";
  }
  static std::shared_ptr<const ByteLevelBpeTokenizer> tokenizer_;
  static bool from_gguf_;
};
std::shared_ptr<const ByteLevelBpeTokenizer> SmolLm2::tokenizer_;
bool SmolLm2::from_gguf_ = false;

// The text's bytes without those that have no piece (they are dropped, as tokenizers does).
std::string representable(const Tokenizer& t, const std::string& text) {
  std::string out;
  for (char c : text)
    if (t.token_id(byte_level::byte_symbols()[static_cast<uint8_t>(c)])) out += c;
  return out;
}

TEST_F(SmolLm2, EqualsHuggingFaceOnEveryFixture) {
  const auto cases = read_cases();
  ASSERT_GE(cases.size(), 400u);
  size_t edge = 0;
  for (const Case& c : cases) {
    edge += c.source == "edge";
    const std::vector<int> ids = tokenizer_->encode(c.text);
    EXPECT_EQ(ids, c.ids) << Json::string(c.text).dump();
    EXPECT_EQ(tokenizer_->decode(ids), representable(*tokenizer_, c.text)) << Json::string(c.text).dump();
  }
  EXPECT_GE(edge, 50u);
}

TEST_F(SmolLm2, Metadata) {
  const Tokenizer& t = *tokenizer_;
  EXPECT_EQ(t.kind(), "byte_bpe");
  EXPECT_EQ(t.vocab_size(), 49152);
  EXPECT_EQ(t.token_id("<|im_start|>"), 1);
  EXPECT_EQ(t.token_id("<|im_end|>"), 2);
  EXPECT_EQ(t.token_id("\xC4\xA0the"), t.encode(" the").at(0));
  EXPECT_FALSE(t.token_id("no such piece").has_value());
  EXPECT_FALSE(t.expects_bos()) << "SmolLM2's add_bos_token is false";
  if (from_gguf_) {  // a bare tokenizer.json has no tokenizer_config.json beside it
    EXPECT_EQ(t.bos_id(), 1);
    EXPECT_EQ(t.eos_id(), 2);
    EXPECT_EQ(t.pad_id(), 2);
    EXPECT_EQ(t.definition_files(), std::vector<std::string>{kGguf});
  }
  EXPECT_EQ(tokenizer_->definition().pre_tokenizer, PreTokenizerKind::Smollm);
  EXPECT_EQ(tokenizer_->definition().added.size(), 17u);
  EXPECT_EQ(t.decode(t.encode("<|im_start|>user\nHi<|im_end|>")), "<|im_start|>user\nHi<|im_end|>");
}

TEST_F(SmolLm2, WrittenTokenizerJsonTokenizesTheSame) {
  testing::ScratchDir dir("byte-bpe-smollm2");
  write_tokenizer_json(*tokenizer_, dir.path("tokenizer.json"));
  const auto reloaded = ByteLevelBpeTokenizer::from_tokenizer_json(dir.path("tokenizer.json"));
  EXPECT_EQ(reloaded->definition().pieces, tokenizer_->definition().pieces);
  EXPECT_EQ(reloaded->definition().merges, tokenizer_->definition().merges);
  EXPECT_EQ(reloaded->definition().pre_tokenizer, PreTokenizerKind::Smollm);
  ASSERT_EQ(reloaded->definition().added.size(), tokenizer_->definition().added.size());
  for (const Case& c : read_cases()) EXPECT_EQ(reloaded->encode(c.text), c.ids) << Json::string(c.text).dump();
}

// The word rule (tokenizer.h): words are the text split at every space, so
// join(words, " ") is the text itself.
std::vector<std::string> split_at_spaces(const std::string& text) {
  std::vector<std::string> words;
  for (size_t start = 0;;) {
    const size_t space = text.find(' ', start);
    words.push_back(text.substr(start, space == std::string::npos ? std::string::npos : space - start));
    if (space == std::string::npos) return words;
    start = space + 1;
  }
}

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

TEST_F(SmolLm2, WordRuleEqualsWholeTextEncoding) {
  // Where it fails: whitespace meets the joining space (empty words, or a word
  // ending in whitespace before a digit or more whitespace).
  const std::set<std::string> expected_failures = {
      "a  1", "x   42", "total:  100", "  1", "1  2", "a\n 1", "   ", "trailing two  ", "a   b", "a    b c",
      "def f(x):\n    return x**2\n"};
  std::set<std::string> failures;
  size_t plain_words = 0;
  for (const Case& c : read_cases()) {
    const auto words = split_at_spaces(c.text);
    const bool equal = tokenizer_->encode_words(words).ids == c.ids;
    bool real_words = true;  // not empty, no ASCII whitespace at either end
    for (const auto& w : words) real_words &= !w.empty() && !is_ascii_space(w.front()) && !is_ascii_space(w.back());
    if (real_words) {
      ++plain_words;
      EXPECT_TRUE(equal) << Json::string(c.text).dump();
    }
    if (c.source != "edge") EXPECT_TRUE(real_words && equal) << "corpus sentence " << c.text;
    if (!equal) failures.insert(c.text);
  }
  EXPECT_EQ(failures, expected_failures);
  EXPECT_GE(plain_words, 450u);
}

// Written forms (a cased LLM's targets) can hold a token that makes no word
// after a space ("them -"): the words' tokens are still the text's.
TEST_F(SmolLm2, WrittenFormsWithWordlessTokensEncodeAsTheWrittenText) {
  for (const std::string text : {"Take them - twice daily.", "\"Yes,\" she said ... then left.", "- Hello, world",
                                 "Dr. Smith gave 200 mg -- no more."}) {
    const NormalizedText normalized = normalize_written(text);
    std::vector<std::string> forms;
    for (const auto& w : normalized.words)
      if (!w.written.empty()) forms.push_back(w.written);
    EXPECT_EQ(tokenizer_->encode_words(forms).ids, tokenizer_->encode(normalized.written)) << text;
  }
  EXPECT_EQ(normalize_written("Take them - twice").words[1].written, "them -") << "the case this test is about";
}

TEST_F(SmolLm2, EncodesFasterThanOneMegabytePerSecond) {
  // Corpus sentences (cached words) and unseen random words (every piece merged).
  std::string corpus;
  for (const Case& c : read_cases()) corpus += c.text + "\n";
  std::string text;
  while (text.size() < (4u << 20)) text += corpus;
  std::mt19937 rng(3);
  std::string fresh;
  while (fresh.size() < (1u << 20)) {
    fresh += ' ';
    for (int i = 0, n = 3 + int(rng() % 9); i < n; ++i) fresh += char('a' + rng() % 26);
  }
  const auto rate = [&](const std::string& input) {
    const auto start = std::chrono::steady_clock::now();
    const size_t ids = tokenizer_->encode(input).size();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_GT(ids, 0u);
    return input.size() / seconds / 1e6;
  };
  const double corpus_rate = rate(text), fresh_rate = rate(fresh);
  std::printf("byte BPE encode: %.1f MB/s on the fixture corpus, %.1f MB/s on unseen random words\n", corpus_rate,
              fresh_rate);
#if defined(NDEBUG) && !defined(JSTIP_SANITIZE)
  EXPECT_GT(corpus_rate, 1.0);
  EXPECT_GT(fresh_rate, 1.0);
#endif
}

}  // namespace
}  // namespace jstip::data
