#include "host/data/text_normalizer.h"

#include <gtest/gtest.h>

#include "host/data/entity_markup.h"

namespace jstip::data {
namespace {

TEST(TextNormalizer, CasePunctuationAndApostrophes) {
  EXPECT_EQ(normalize_text("Hello, World!  It's  \"fine\"."), "hello world it's fine");
  EXPECT_EQ(normalize_text("don\xE2\x80\x99t stop"), "don't stop");
  EXPECT_EQ(normalize_text("'quoted' rock-and-roll e.g."), "quoted rock and roll e g");
  EXPECT_EQ(normalize_text("  \t\n"), "");
  EXPECT_EQ(normalize_text("Caf\xC3\xA9 NO\xC3\x8BL"), "caf\xC3\xA9 no\xC3\x8Bl");  // non-ASCII kept
}

TEST(TextNormalizer, NumbersBecomeWords) {
  EXPECT_EQ(normalize_text("Take 2 tablets"), "take two tablets");
  EXPECT_EQ(normalize_text("1,250 mg"), "one thousand two hundred fifty mg");
  EXPECT_EQ(normalize_text("3.5%"), "three point five percent");
  EXPECT_EQ(normalize_text("the 21st and 2nd, 3rd, 12th"), "the twenty first and second third twelfth");
  EXPECT_EQ(normalize_text("A&B 100"), "a and b one hundred");
  EXPECT_EQ(normalize_text("covid19"), "covid nineteen");
  EXPECT_EQ(number_to_words(0), "zero");
  EXPECT_EQ(number_to_words(1000001), "one million one");
  EXPECT_EQ(number_to_words(90), "ninety");
  EXPECT_EQ(normalize_text("the 20th"), "the twentieth");
}

TEST(TextNormalizer, IsIdempotent) {
  for (const std::string text : {"Hello, World 42!", "it's 3.5% of 1,000", "Dr. O'Neil's 2nd visit"}) {
    const auto once = normalize_text(text);
    EXPECT_EQ(normalize_text(once), once);
  }
}

TEST(EntityMarkup, SpansPointIntoTheNormalizedText) {
  const auto m = parse_entity_markup("Give [[Ibuprofen 400|drug]] for [[migraine|disease]].");
  EXPECT_EQ(m.text, "give ibuprofen four hundred for migraine");
  ASSERT_EQ(m.entities.size(), 2u);
  EXPECT_EQ(m.text.substr(m.entities[0].begin, m.entities[0].end - m.entities[0].begin), "ibuprofen four hundred");
  EXPECT_EQ(m.entities[1].type, "disease");
  EXPECT_EQ(m.text.substr(m.entities[1].begin, m.entities[1].end - m.entities[1].begin), "migraine");
  EXPECT_THROW(parse_entity_markup("a [[b|drug"), std::invalid_argument);
  EXPECT_THROW(parse_entity_markup("a [[b]] c"), std::invalid_argument);
}

}  // namespace
}  // namespace jstip::data
