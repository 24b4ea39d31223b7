#include "host/data/tokenizer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "host/data/text_normalizer.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

const char* kCorpus[] = {
    "The patient was given aspirin for the headache and ibuprofen for the fever.",
    "Metformin lowers blood sugar; insulin is used when it is not enough.",
    "She took 2 tablets of paracetamol every 6 hours for 3 days.",
    "Hypertension and diabetes are common chronic diseases in older patients.",
    "The doctor prescribed amoxicillin for the infection of the middle ear.",
    "Warfarin interacts with many drugs, so the dose is checked often.",
    "Asthma attacks were treated with salbutamol inhalers in the clinic.",
    "He had pneumonia, and antibiotics cleared the infection within a week.",
};

std::string write_corpus(const testing::ScratchDir& dir) {
  const std::string path = dir.path("corpus.txt");
  std::ofstream out(path);
  for (int repeat = 0; repeat < 20; ++repeat)
    for (const char* line : kCorpus) out << normalize_text(line) << '\n';
  return path;
}

class TokenizerTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerTest, WordTokensConcatenateToTheTranscriptTokens) {
  testing::ScratchDir dir("tok-" + GetParam());
  TokenizerTrainOptions options;
  options.inputs = {write_corpus(dir)};
  options.model_prefix = dir.path("sp");
  options.vocab_size = 400;
  options.model_type = GetParam();
  options.hard_vocab_limit = false;
  options.user_defined_symbols = {"<speech>"};
  train_tokenizer(options);
  const auto loaded = load_tokenizer(dir.path("sp.model"));
  const Tokenizer& tokenizer = *loaded;
  EXPECT_EQ(tokenizer.kind(), "sentencepiece");
  EXPECT_LE(tokenizer.vocab_size(), 400);
  EXPECT_TRUE(tokenizer.token_id("<speech>").has_value());
  EXPECT_FALSE(tokenizer.token_id("<not-a-piece>").has_value());
  EXPECT_EQ(tokenizer.definition_files(), std::vector<std::string>{dir.path("sp.model")});

  // Includes words the tokenizer never saw, split into several pieces.
  for (const std::string text : {"the patient was given aspirin", "zyprexa and quetiapine overdose treated",
                                 "hypertension", "a b c"}) {
    const auto words = split_words(normalize_text(text));
    const WordTokens wt = tokenizer.encode_words(words);
    EXPECT_EQ(wt.ids, tokenizer.encode(normalize_text(text))) << text;
    ASSERT_EQ(wt.word_count(), int64_t(words.size()));
    for (size_t w = 0; w < words.size(); ++w) {
      const std::vector<int> own(wt.ids.begin() + wt.word_begin[w], wt.ids.begin() + wt.word_begin[w + 1]);
      ASSERT_FALSE(own.empty()) << words[w];
      EXPECT_EQ(tokenizer.decode(own), words[w]);
      EXPECT_EQ(tokenizer.pieces(own)[0].rfind("\xE2\x96\x81", 0), 0u) << "word starts with the space marker";
    }
    EXPECT_EQ(tokenizer.decode(wt.ids), normalize_text(text));
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TokenizerTest, ::testing::Values("bpe", "unigram"));

TEST(Tokenizer, ErrorsNameTheProblem) {
  testing::ScratchDir dir("tok-errors");
  EXPECT_THROW(load_tokenizer(dir.path("missing.model")), std::runtime_error);
  EXPECT_THROW(load_tokenizer(dir.path("x.vocab")), std::runtime_error);  // not a tokenizer file
  TokenizerTrainOptions options;
  options.inputs = {dir.path("missing.txt")};
  options.model_prefix = dir.path("x");
  EXPECT_THROW(train_tokenizer(options), std::runtime_error);
  options.model_type = "wordpiece";
  EXPECT_THROW(train_tokenizer(options), std::invalid_argument);
}

}  // namespace
}  // namespace jstip::data
