// The written text of records: filled in, derived, and records made before
// the `written` fields (fixtures/pre_written.shard, written by `jstip data
// import --jsonl` at commit 32fde58).
#include "host/data/utterance.h"

#include <gtest/gtest.h>

#include "host/data/text_normalizer.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

using Strings = std::vector<std::string>;

// A record as the importers make it: normalized words with their written forms.
Utterance record_of(const std::string& text) {
  const NormalizedText n = normalize_written(text);
  Utterance r;
  r.set_id("r");
  r.set_transcript(n.text);
  r.set_written(n.written);
  for (const auto& w : n.words) {
    auto* word = r.add_words();
    word->set_text(w.text);
    word->set_written(w.written);
  }
  return r;
}

TEST(WrittenText, RecordsBeforeTheFieldReadAndFallBackToTheNormalizedWords) {
  ShardReader reader(testing::fixture("pre_written.shard"));
  Utterance timed, untimed;
  ASSERT_TRUE(reader.next(&timed));
  ASSERT_TRUE(reader.next(&untimed));
  EXPECT_EQ(timed.id(), "old-timed");
  EXPECT_TRUE(timed.written().empty());
  EXPECT_TRUE(has_word_timings(timed));
  EXPECT_EQ(written_text(timed), "take two tablets");
  EXPECT_EQ(written_words(timed), (Strings{"take", "two", "tablets"}));
  EXPECT_EQ(written_text(untimed), "dr smith gave her two hundred mg");
  EXPECT_EQ(written_words(untimed), split_words(untimed.transcript()));
}

TEST(WrittenText, FilledInRecordsGiveTheirWordsWrittenForms) {
  const Utterance r = record_of("Dr. Smith gave her 200 mg of Aspirin.");
  EXPECT_EQ(written_text(r), "Dr. Smith gave her 200 mg of Aspirin.");
  EXPECT_EQ(written_words(r), (Strings{"Dr.", "Smith", "gave", "her", "200", "", "mg", "of", "Aspirin."}));
}

TEST(WrittenText, WordsWithoutWrittenFormsAreDerivedFromTheWrittenText) {
  // As `jstip align` leaves a record: words rewritten (timings), written forms gone.
  Utterance r = record_of("It's 3.5%, ok?");
  for (auto& w : *r.mutable_words()) w.clear_written();
  EXPECT_EQ(written_words(r), (Strings{"It's", "3.5%,", "", "", "", "ok?"}));
  // No words at all: per word of the transcript.
  r.clear_words();
  EXPECT_EQ(written_words(r), (Strings{"It's", "3.5%,", "", "", "", "ok?"}));
  // A written text that does not normalize to the record's words is not used for them.
  r.set_written("Something else entirely");
  EXPECT_EQ(written_words(r), split_words(r.transcript()));
  EXPECT_EQ(written_text(r), "Something else entirely");
}

}  // namespace
}  // namespace jstip::data
