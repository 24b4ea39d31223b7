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

// The normalized words of `text`, each as "word=Written" ("word=" for a word continuing its token).
std::vector<std::string> pairs(const NormalizedText& n) {
  std::vector<std::string> out;
  for (const auto& w : n.words) out.push_back(w.text + "=" + w.written);
  return out;
}
using Pairs = std::vector<std::string>;

TEST(WrittenForms, EachWordKeepsTheTokenItCameFrom) {
  const auto n = normalize_written("Dr. Smith gave her 200 mg of Aspirin.");
  EXPECT_EQ(n.text, "dr smith gave her two hundred mg of aspirin");
  EXPECT_EQ(n.written, "Dr. Smith gave her 200 mg of Aspirin.");
  EXPECT_EQ(pairs(n), (Pairs{"dr=Dr.", "smith=Smith", "gave=gave", "her=her", "two=200", "hundred=", "mg=mg", "of=of",
                             "aspirin=Aspirin."}));
  // Numbers: decimals, percent, thousands, ordinals, digits inside a word.
  EXPECT_EQ(pairs(normalize_written("It's 3.5% of 1,250, the 21st; covid19")),
            (Pairs{"it's=It's", "three=3.5%", "point=", "five=", "percent=", "of=of", "one=1,250,", "thousand=",
                   "two=", "hundred=", "fifty=", "the=the", "twenty=21st;", "first=", "covid=covid19", "nineteen="}));
  // Hyphens, abbreviations, "&": one token, several words.
  EXPECT_EQ(pairs(normalize_written("A rock-and-roll e.g. A&B")),
            (Pairs{"a=A", "rock=rock-and-roll", "and=", "roll=", "e=e.g.", "g=", "a=A&B", "and=", "b="}));
  // Apostrophes (curly folded in the normalized word, kept as written), quotes, accents.
  EXPECT_EQ(pairs(normalize_written("O'Neil\xE2\x80\x99s \"Caf\xC3\xA9\" NO\xC3\x8BL!")),
            (Pairs{"o'neil's=O'Neil\xE2\x80\x99s", "caf\xC3\xA9=\"Caf\xC3\xA9\"", "no\xC3\x8Bl=NO\xC3\x8BL!"}));
}

TEST(WrittenForms, TokensWithoutWordsJoinANeighbourAndWhitespaceCollapses) {
  // "-" and "..." make no word: they join the word before, after a space.
  const auto n = normalize_written("  Wait -\tno...  really ?\n");
  EXPECT_EQ(n.written, "Wait - no... really ?");
  EXPECT_EQ(pairs(n), (Pairs{"wait=Wait -", "no=no...", "really=really ?"}));
  // Before the first word they join the first word.
  EXPECT_EQ(pairs(normalize_written("-- \"Yes,\" she said")), (Pairs{"yes=-- \"Yes,\"", "she=she", "said=said"}));
  const auto none = normalize_written(" ... ! ");
  EXPECT_TRUE(none.words.empty());
  EXPECT_EQ(none.text, "");
  EXPECT_EQ(none.written, "... !");
  EXPECT_TRUE(normalize_written("").words.empty());
}

TEST(WrittenForms, AgreeWithNormalizeTextAndRebuildTheWrittenText) {
  for (const std::string text :
       {"Dr. Smith gave her 200 mg of Aspirin.", "Take 1,250 mg (3.5%) on the 2nd & 3rd -- twice!",
        "\"Don\xE2\x80\x99t\" stop: 12345678901234567890 digits", "e.g. covid19, H2O and 4x4s", "' quoted ' - ..."}) {
    const auto n = normalize_written(text);
    EXPECT_EQ(n.text, normalize_text(text)) << text;
    EXPECT_EQ(split_words(n.text).size(), n.words.size()) << text;
    std::string joined;
    for (const auto& w : n.words)
      if (!w.written.empty()) joined += (joined.empty() ? "" : " ") + w.written;
    EXPECT_EQ(joined, n.written) << text;
  }
}

TEST(WrittenForms, AttachWrittenRefusesWordsSourcedOutOfOrderOrOnSpace) {
  EXPECT_THROW(attach_written("a b", {{"b", 2}, {"a", 0}}), std::invalid_argument);
  EXPECT_THROW(attach_written("a b", {{"a", 1}}), std::invalid_argument);
  EXPECT_THROW(attach_written("a b", {{"a", 3}}), std::invalid_argument);
  EXPECT_EQ(pairs(attach_written("a b", {{"a", 0}, {"b", 2}})), (Pairs{"a=a", "b=b"}));
}

TEST(EntityMarkup, SpansPointIntoTheNormalizedText) {
  const auto m = parse_entity_markup("Give [[Ibuprofen 400|drug]] for [[migraine|disease]].");
  EXPECT_EQ(m.text, "give ibuprofen four hundred for migraine");
  ASSERT_EQ(m.entities.size(), 2u);
  EXPECT_EQ(m.text.substr(m.entities[0].begin, m.entities[0].end - m.entities[0].begin), "ibuprofen four hundred");
  EXPECT_EQ(m.entities[1].type, "disease");
  EXPECT_EQ(m.text.substr(m.entities[1].begin, m.entities[1].end - m.entities[1].begin), "migraine");
  EXPECT_EQ(m.written, "Give Ibuprofen 400 for migraine.");
  EXPECT_EQ(m.written_words, (std::vector<std::string>{"Give", "Ibuprofen", "400", "", "for", "migraine."}));
  // Markup inside a written token: the token is read without it.
  const auto inside = parse_entity_markup("Ask [[Dr. Smith|person]], then [[2|count]]nd dose");
  EXPECT_EQ(inside.text, "ask dr smith then two nd dose");  // pieces are normalized alone
  EXPECT_EQ(inside.written, "Ask Dr. Smith, then 2nd dose");
  EXPECT_EQ(inside.written_words, (std::vector<std::string>{"Ask", "Dr.", "Smith,", "then", "2nd", "", "dose"}));
  EXPECT_THROW(parse_entity_markup("a [[b|drug"), std::invalid_argument);
  EXPECT_THROW(parse_entity_markup("a [[b]] c"), std::invalid_argument);
}

}  // namespace
}  // namespace jstip::data
