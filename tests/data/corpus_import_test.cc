#include "host/data/corpus_import.h"

#include <gtest/gtest.h>

#include <fstream>

#include "host/data/audio_io.h"
#include "host/data/resample.h"
#include "host/data/utterance.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

// Two real recordings: speech at 16 kHz and at 8 kHz.
void write_recordings(const testing::ScratchDir& dir) {
  const auto a = from_pcm16(testing::speech_record("a", "good morning doctor").pcm16());
  const auto b = from_pcm16(testing::speech_record("b", "my head hurts", 1).pcm16());
  write_audio(dir.path("rec_a.wav"), a, 16000);
  write_audio(dir.path("rec_b.flac"), resample(b, 16000, 8000), 8000);
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The ImportError an import gives, or "(accepted)".
template <typename Import>
std::string import_error(Import import) {
  try {
    import();
  } catch (const ImportError& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(KaldiImport, WavScpTextAndUtt2spk) {
  testing::ScratchDir dir("kaldi-plain");
  write_recordings(dir);
  write_file(dir.path("wav.scp"), "a rec_a.wav\nb " + dir.path("rec_b.flac") + "\n");
  write_file(dir.path("text"), "a Good morning, Doctor!\nb My head hurts\n");
  write_file(dir.path("utt2spk"), "a spk1\nb spk2\n");
  ImportOptions options;
  options.domain = "medical";
  const auto records = import_kaldi_dir(dir.path(), options);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].id(), "a");
  EXPECT_EQ(records[0].audio_path(), dir.path("rec_a.wav"));  // relative to the directory
  EXPECT_EQ(records[0].transcript(), "good morning doctor");
  EXPECT_EQ(records[0].speaker(), "spk1");
  EXPECT_EQ(records[0].domain(), "medical");
  ASSERT_EQ(records[0].words_size(), 3);
  EXPECT_EQ(records[0].written(), "Good morning, Doctor!");
  EXPECT_EQ(written_words(records[0]), (std::vector<std::string>{"Good", "morning,", "Doctor!"}));
  EXPECT_FALSE(has_word_timings(records[0]));
  EXPECT_THROW(require_word_timings(records[0], "word interleaving"), std::runtime_error);
  // The 8 kHz FLAC loads as 16 kHz with its length kept.
  const auto b16 = utterance_samples(records[1]);
  EXPECT_NEAR(double(b16.size()) / 16000, utterance_seconds(records[1]), 0.01);
  EXPECT_GT(b16.size(), 8000u);
  // A source whose text is not as written keeps none of it.
  options.keep_written = false;
  const auto dropped = import_kaldi_dir(dir.path(), options);
  EXPECT_TRUE(dropped[0].written().empty());
  EXPECT_TRUE(dropped[0].words(0).written().empty());
  EXPECT_EQ(written_words(dropped[0]), (std::vector<std::string>{"good", "morning", "doctor"}));
}

TEST(KaldiImport, SegmentsCutRecordings) {
  testing::ScratchDir dir("kaldi-segments");
  write_recordings(dir);
  write_file(dir.path("wav.scp"), "rec_a rec_a.wav\n");
  write_file(dir.path("segments"), "a1 rec_a 0.00 0.50\na2 rec_a 0.50 1.00\n");
  write_file(dir.path("text"), "a1 good\na2 morning doctor\n");
  ImportOptions options;
  options.inline_audio = true;
  const auto records = import_kaldi_dir(dir.path(), options);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[1].audio_path().empty());
  EXPECT_EQ(records[1].pcm16().size(), 2u * 8000);  // 0.5 s inline at 16 kHz
  const auto whole = load_audio_16k(dir.path("rec_a.wav"));
  const auto second = from_pcm16(records[1].pcm16());
  EXPECT_NEAR(second[100], whole[8100], 1.0 / 16000);
}

TEST(KaldiImport, ErrorsNameFileAndLine) {
  testing::ScratchDir dir("kaldi-errors");
  write_recordings(dir);
  write_file(dir.path("wav.scp"), "a rec_a.wav\n");
  write_file(dir.path("text"), "a fine\nb missing audio\n");
  try {
    import_kaldi_dir(dir.path());
    FAIL();
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path("text") + ":2: utterance 'b' not in wav.scp"), std::string::npos)
        << e.what();
  }
  write_file(dir.path("wav.scp"), "a sox x.wav -t wav - |\n");
  EXPECT_THROW(import_kaldi_dir(dir.path()), ImportError);
  EXPECT_THROW(import_kaldi_dir(dir.path("nope")), ImportError);
}

// A record training would refuse is refused at import, naming file:line and the record.
TEST(KaldiImport, TextLineWithOnlyAnIdIsAnEmptyTranscript) {
  testing::ScratchDir dir("kaldi-empty");
  write_recordings(dir);
  write_file(dir.path("wav.scp"), "a rec_a.wav\nb rec_a.wav\n");
  write_file(dir.path("text"), "a good morning\nb\n");
  EXPECT_EQ(import_error([&] { import_kaldi_dir(dir.path()); }), dir.path("text") + ":2: record 'b': empty transcript");
}

TEST(JsonlImport, EmptyTranscriptsAndBadWordTimingsAreRefusedByRecord) {
  testing::ScratchDir dir("jsonl-refused");
  write_recordings(dir);
  auto error_of = [&](const std::string& line, bool inline_audio = false) {
    write_file(dir.path("r.jsonl"), R"({"id": "ok", "audio": "rec_a.wav", "text": "good"})" "\n" + line + "\n");
    ImportOptions options;
    options.inline_audio = inline_audio;
    return import_error([&] { import_jsonl(dir.path("r.jsonl"), options); });
  };
  const std::string at = dir.path("r.jsonl") + ":2: ";
  EXPECT_EQ(error_of(R"({"id": "s1", "audio": "rec_a.wav"})"), at + "record 's1': empty transcript");
  EXPECT_EQ(error_of(R"({"id": "s2", "audio": "rec_a.wav", "text": " "})"), at + "record 's2': empty transcript");
  EXPECT_EQ(error_of(R"({"id": "t1", "audio": "rec_a.wav", "words": [{"word": "good", "start": 0.5, "end": 0.3}]})"),
            at + "record 't1' word 0 'good': ends before it starts");
  EXPECT_EQ(error_of(R"({"id": "t2", "audio": "rec_a.wav", "words": [{"word": "good", "start": 0.5, "end": 0.8},)"
                     R"( {"word": "morning", "start": 0.2, "end": 0.4}]})"),
            at + "record 't2' word 1 'morning': starts before the previous word");
  // Past the end of the audio: known when the audio is inlined, not checked for a whole file by path.
  const std::string late = R"({"id": "t3", "audio": "rec_a.wav", "words": [{"word": "good", "start": 0.1, "end": 30}]})";
  const std::string inlined = error_of(late, true);
  EXPECT_EQ(inlined.rfind(at + "record 't3' word 0 'good': ends at 30.000000 s, after the audio (", 0), 0u) << inlined;
  EXPECT_EQ(error_of(late), "(accepted)");
  EXPECT_EQ(error_of(R"({"id": "t4", "audio": "rec_a.wav", "words": [{"word": "good", "start": 0.1, "end": 0.4}]})", true),
            "(accepted)");
}

TEST(JsonlImport, TimedWordsUntimedWordsAndEntities) {
  testing::ScratchDir dir("jsonl");
  write_recordings(dir);
  write_file(dir.path("m.jsonl"),
             R"({"id": "x", "audio": "rec_a.wav", "text": "ignored", "words": [{"word": "Good", "start": 0.1, "end": 0.4}, {"word": "morning", "start": 0.4, "end": 0.9}, {"word": "2", "start": 1.0, "end": 1.2}]})"
             "\n"
             R"({"audio": "rec_b.flac", "text": "My head hurts", "speaker": "s9", "entities": [{"begin": 3, "end": 7, "type": "body"}]})"
             "\n"
             R"({"text": "text only sample", "domain": "medical"})"
             "\n"
             R"({"text": "Eat 42 apples.", "words": [{"word": "eat", "start": 0, "end": 0.2}, {"word": "forty two", "start": 0.2, "end": 0.5}, {"word": "apples", "start": 0.5, "end": 0.9}]})"
             "\n");
  const auto r = import_jsonl(dir.path("m.jsonl"));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].transcript(), "good morning two");
  // "text" does not normalize to the words: the words' own spelling is the written form.
  EXPECT_EQ(r[0].written(), "Good morning 2");
  EXPECT_EQ(written_words(r[0]), (std::vector<std::string>{"Good", "morning", "2"}));
  EXPECT_EQ(r[1].written(), "My head hurts");
  // Words as an aligner spells them, "text" as written: the text gives the written forms.
  EXPECT_EQ(r[3].transcript(), "eat forty two apples");
  EXPECT_EQ(r[3].written(), "Eat 42 apples.");
  EXPECT_EQ(written_words(r[3]), (std::vector<std::string>{"Eat", "42", "", "apples."}));
  EXPECT_NEAR(r[3].words(2).start(), 0.2 + 0.3 * 5 / 8, 1e-9);  // "two" after "forty" in the span of "forty two"
  EXPECT_TRUE(has_word_timings(r[0]));
  EXPECT_DOUBLE_EQ(r[0].words(1).start(), 0.4);
  EXPECT_EQ(r[1].id(), "m-2");
  EXPECT_FALSE(has_word_timings(r[1]));
  EXPECT_EQ(r[1].entities(0).type(), "body");
  EXPECT_TRUE(is_text_only(r[2]));
  EXPECT_THROW(utterance_samples(r[2]), std::runtime_error);

  write_file(dir.path("bad.jsonl"), "{\"text\": \"ok\"}\n{\"text\": 5}\n");
  try {
    import_jsonl(dir.path("bad.jsonl"));
    FAIL();
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:2"), std::string::npos) << e.what();
  }
  write_file(dir.path("bad2.jsonl"), "{not json\n");
  EXPECT_THROW(import_jsonl(dir.path("bad2.jsonl")), ImportError);
}

TEST(TsvImport, AudioTabText) {
  testing::ScratchDir dir("tsv");
  write_recordings(dir);
  write_file(dir.path("list.tsv"), "rec_a.wav\tGood morning doctor\nrec_b.flac\tMy head hurts.\n");
  const auto r = import_tsv_list(dir.path("list.tsv"));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].id(), "rec_b");
  EXPECT_EQ(r[1].transcript(), "my head hurts");
  EXPECT_EQ(r[1].written(), "My head hurts.");
  EXPECT_EQ(written_words(r[1]), (std::vector<std::string>{"My", "head", "hurts."}));
  write_file(dir.path("bad.tsv"), "rec_a.wav good morning\n");
  EXPECT_THROW(import_tsv_list(dir.path("bad.tsv")), ImportError);
  write_file(dir.path("empty.tsv"), "rec_a.wav\tGood morning\nrec_b.flac\t\n");
  EXPECT_EQ(import_error([&] { import_tsv_list(dir.path("empty.tsv")); }),
            dir.path("empty.tsv") + ":2: record 'rec_b': empty transcript");
}

TEST(TextImport, TextOnlySamplesWithEntities) {
  testing::ScratchDir dir("text-import");
  write_file(dir.path("domain.txt"), "# medical text\nGive [[Warfarin|drug]] 5 mg.\nn7\tCheck the [[INR|test]].\n\n");
  ImportOptions options;
  options.domain = "medical";
  const auto r = import_text_lines(dir.path("domain.txt"), options);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].id(), "domain-2");
  EXPECT_EQ(r[0].transcript(), "give warfarin five mg");
  EXPECT_TRUE(is_text_only(r[0]));
  EXPECT_EQ(r[0].words_size(), 4);
  EXPECT_EQ(r[0].written(), "Give Warfarin 5 mg.");  // markup stripped
  EXPECT_EQ(written_words(r[0]), (std::vector<std::string>{"Give", "Warfarin", "5", "mg."}));
  EXPECT_EQ(r[1].id(), "n7");
  EXPECT_EQ(r[1].entities(0).type(), "test");
  EXPECT_EQ(r[1].transcript().substr(r[1].entities(0).begin(), 3), "inr");
  EXPECT_EQ(r[1].domain(), "medical");
  write_file(dir.path("bad.txt"), "ok\nbroken [[markup\n");
  try {
    import_text_lines(dir.path("bad.txt"));
    FAIL();
  } catch (const ImportError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jstip::data
