#include "host/data/shard_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "host/data/crc32c.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {
namespace fs = std::filesystem;

Utterance small_record(int i) {
  Utterance r;
  r.set_id("utt" + std::to_string(i));
  r.set_transcript("word number " + std::to_string(i));
  r.set_pcm16(std::string(200 + i, char(i)));
  r.set_sample_rate(16000);
  auto* w = r.add_words();
  w->set_text("word");
  w->set_start(0.1 * i);
  w->set_end(0.1 * i + 0.05);
  w->set_has_timing(true);
  auto* e = r.add_entities();
  e->set_begin(0);
  e->set_end(4);
  e->set_type("drug");
  (*r.mutable_metadata())["k"] = "v";
  return r;
}

void write_shard(const std::string& path, int n) {
  ShardWriter writer(path);
  for (int i = 0; i < n; ++i) writer.write(small_record(i));
  writer.close();
}

// Byte offset of record `k` in a shard of small_record(0..).
uint64_t record_offset(int k) {
  uint64_t offset = kShardHeaderSize;
  for (int i = 0; i < k; ++i) offset += 16 + small_record(i).ByteSizeLong();
  return offset;
}

void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(std::streamoff(offset));
  char c;
  f.read(&c, 1);
  c = char(c ^ 0x5A);
  f.seekp(std::streamoff(offset));
  f.write(&c, 1);
}

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c_extend(crc32c("1234", 4), "56789", 5), 0xE3069283u);
}

TEST(ShardFile, RoundTripKeepsEveryField) {
  testing::ScratchDir dir("shard-roundtrip");
  write_shard(dir.path("a.shard"), 5);
  ShardReader reader(dir.path("a.shard"));
  EXPECT_EQ(reader.header_count(), 5u);
  Utterance r;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(reader.next(&r));
    EXPECT_EQ(r.SerializeAsString(), small_record(i).SerializeAsString());
  }
  EXPECT_FALSE(reader.next(&r));
}

TEST(ShardFile, WriteIsAtomic) {
  testing::ScratchDir dir("shard-atomic");
  {
    ShardWriter writer(dir.path("b.shard"));
    writer.write(small_record(0));
    EXPECT_FALSE(fs::exists(dir.path("b.shard")));  // only the temp file so far
  }  // abandoned: no shard, no temp file left behind
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(ShardFile, CorruptedPayloadByteNamesFileAndRecord) {
  testing::ScratchDir dir("shard-corrupt");
  const std::string path = dir.path("c.shard");
  write_shard(path, 6);
  flip_byte(path, record_offset(3) + 12 + 20);  // inside record 3's payload
  ShardReader reader(path);
  Utterance r;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader.next(&r));
  try {
    reader.next(&r);
    FAIL() << "corruption not detected";
  } catch (const ShardError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_EQ(e.record_index(), 3);
    EXPECT_NE(std::string(e.what()).find(path + ": record 3: payload checksum mismatch"), std::string::npos) << e.what();
  }
}

TEST(ShardFile, SkipBadRecordsCountsThemAndKeepsTheRest) {
  testing::ScratchDir dir("shard-skip");
  const std::string path = dir.path("d.shard");
  write_shard(path, 6);
  flip_byte(path, record_offset(1) + 12 + 5);
  flip_byte(path, record_offset(4) + 12 + 7);
  ShardReader reader(path, {/*skip_bad_records=*/true});
  std::vector<std::string> ids;
  Utterance r;
  while (reader.next(&r)) ids.push_back(r.id());
  EXPECT_EQ(ids, (std::vector<std::string>{"utt0", "utt2", "utt3", "utt5"}));
  EXPECT_EQ(reader.bad_records(), 2);
}

TEST(ShardFile, TruncationIsReportedWithRecordIndex) {
  testing::ScratchDir dir("shard-trunc");
  const std::string path = dir.path("e.shard");
  write_shard(path, 4);
  fs::resize_file(path, record_offset(2) + 30);
  ShardReader reader(path);
  Utterance r;
  ASSERT_TRUE(reader.next(&r));
  ASSERT_TRUE(reader.next(&r));
  try {
    reader.next(&r);
    FAIL() << "truncation not detected";
  } catch (const ShardError& e) {
    EXPECT_EQ(e.record_index(), 2);
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  ShardReader skipping(path, {true});
  int good = 0;
  while (skipping.next(&r)) ++good;
  EXPECT_EQ(good, 2);
  EXPECT_EQ(skipping.bad_records(), 2);  // records 2 and 3 are lost

  fs::resize_file(path, record_offset(2));  // cut exactly between records
  ShardReader short_reader(path);
  ASSERT_TRUE(short_reader.next(&r) && short_reader.next(&r));
  EXPECT_THROW(short_reader.next(&r), ShardError);  // header promised 4
}

TEST(ShardFile, DamagedHeaderAndForeignFilesAreRejected) {
  testing::ScratchDir dir("shard-header");
  const std::string path = dir.path("f.shard");
  write_shard(path, 2);
  flip_byte(path, 17);  // record count
  EXPECT_THROW({ ShardReader reader(path); }, ShardError);
  std::ofstream(dir.path("g.shard")) << "RIFF not a shard at all, just text";
  try {
    ShardReader reader(dir.path("g.shard"));
    FAIL();
  } catch (const ShardError& e) {
    EXPECT_EQ(e.record_index(), -1);
    EXPECT_NE(std::string(e.what()).find("bad magic"), std::string::npos);
  }
}

// Found by fuzzing: a shard rejected at its header kept its file open, so a
// scan over many damaged shards ran out of file descriptors.
TEST(ShardFile, RejectedHeaderClosesTheFile) {
  testing::ScratchDir dir("shard-header-fd");
  std::ofstream(dir.path("bad.shard")) << "not a shard";
  const auto open_files = [] {
    return std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator());
  };
  const auto before = open_files();
  for (int i = 0; i < 50; ++i) EXPECT_THROW({ ShardReader reader(dir.path("bad.shard")); }, ShardError);
  EXPECT_EQ(open_files(), before);
}

TEST(ShardFile, RandomAccessByOffset) {
  testing::ScratchDir dir("shard-random");
  write_shard(dir.path("h.shard"), 4);
  ShardReader reader(dir.path("h.shard"));
  Utterance r;
  reader.read_at(record_offset(2), 2, &r);
  EXPECT_EQ(r.id(), "utt2");
  EXPECT_THROW(reader.read_at(record_offset(2) + 3, 2, &r), ShardError);
}

TEST(ShardFile, SetWriterSplitsAndExpandsDirectories) {
  testing::ScratchDir dir("shard-set");
  ShardSetWriter writer(dir.path("out"), "train", 3);
  for (int i = 0; i < 7; ++i) writer.write(small_record(i));
  writer.close();
  ASSERT_EQ(writer.paths().size(), 3u);
  EXPECT_EQ(expand_shard_paths({dir.path("out")}), writer.paths());
  EXPECT_THROW(expand_shard_paths({dir.path("missing")}), std::runtime_error);
}

}  // namespace
}  // namespace jstip::data
