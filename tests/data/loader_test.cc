#include "host/data/loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "host/data/text_normalizer.h"
#include "host/data/utterance.h"
#include "tests/data/test_util.h"

namespace jstip::data {
namespace {

const char* kSentences[] = {
    "good morning", "the patient has a fever", "take [[aspirin|drug]] twice a day",
    "blood pressure is high", "no", "she was given [[insulin|drug]] after the meal",
    "call the nurse", "his [[asthma|disease]] got worse at night", "yes please",
    "the x ray shows a small fracture of the left wrist", "rest", "drink more water"};

// text -> shards, made once for the suite.
class LoaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::ScratchDir("loader");
    ShardSetWriter writer(dir_->path("shards"), "train", 5);
    int i = 0;
    for (const char* text : kSentences) writer.write(testing::speech_record("utt" + std::to_string(i), text, i)), ++i;
    Utterance text_only;
    text_only.set_id("text0");
    text_only.set_transcript("a text only sample");
    writer.write(text_only);
    writer.close();
    paths_ = writer.paths();
  }
  static void TearDownTestSuite() { delete dir_; }

  static LoaderOptions options() {
    LoaderOptions o;
    o.max_frames_per_batch = 800;
    o.bucket_size = 6;
    o.seed = 11;
    o.prefetch_batches = 2;
    return o;
  }

  static testing::ScratchDir* dir_;
  static std::vector<std::string> paths_;
};
testing::ScratchDir* LoaderTest::dir_ = nullptr;
std::vector<std::string> LoaderTest::paths_;

TEST_F(LoaderTest, RoundTripTextToShardsToBatches) {
  ASSERT_EQ(paths_.size(), 3u);
  Loader loader(paths_, options());
  EXPECT_EQ(loader.num_records(), 13);
  loader.start_epoch(0);
  Batch batch;
  std::map<std::string, int> seen;
  Fbank fbank;
  while (loader.next(&batch)) {
    const int64_t b = int64_t(batch.records.size());
    ASSERT_EQ(batch.features.size(0), b);
    EXPECT_EQ(batch.features.size(2), 80);
    const int64_t longest = batch.feature_lengths.max().item<int64_t>();
    EXPECT_EQ(batch.features.size(1), longest);
    if (b > 1) EXPECT_LE(std::max<int64_t>(longest, 1) * b, 800);
    for (int64_t k = 0; k < b; ++k) {
      const Utterance& r = batch.records[size_t(k)];
      ++seen[r.id()];
      const int64_t frames = is_text_only(r) ? 0 : fbank.num_frames(int64_t(r.pcm16().size() / 2));
      EXPECT_EQ(batch.feature_lengths[k].item<int64_t>(), frames) << r.id();
      ASSERT_EQ(batch.audio_seconds.size(), size_t(b));
      EXPECT_DOUBLE_EQ(batch.audio_seconds[size_t(k)], double(r.pcm16().size() / 2) / 16000) << r.id();
      if (!is_text_only(r)) {
        EXPECT_TRUE(has_word_timings(r));
        EXPECT_EQ(r.words_size(), int(split_words(r.transcript()).size()));
      }
    }
  }
  EXPECT_EQ(seen.size(), 13u);
  for (const auto& [id, count] : seen) EXPECT_EQ(count, 1) << id;
  const auto stats = loader.stats();
  EXPECT_EQ(stats.utterances, 13);
  EXPECT_GE(stats.wait_share(), 0.0);
  EXPECT_LE(stats.wait_share(), 1.0);
  // Entities survive the trip.
  EXPECT_EQ(loader.read_record(2).entities(0).type(), "drug");
}

TEST_F(LoaderTest, ShuffleIsDeterministicPerSeedAndEpoch) {
  Loader a(paths_, options()), b(paths_, options());
  EXPECT_EQ(a.plan_epoch(3), b.plan_epoch(3));
  EXPECT_NE(a.plan_epoch(3), a.plan_epoch(4));
  auto other = options();
  other.seed = 12;
  EXPECT_NE(Loader(paths_, other).plan_epoch(3), a.plan_epoch(3));
  // Within a batch, lengths are close (bucketing): sorted chunks of 6.
  for (const auto& batch : a.plan_epoch(0)) EXPECT_LE(batch.size(), 6u);
}

std::vector<std::string> epoch_ids(Loader& loader, int64_t epoch) {
  std::vector<std::string> ids;
  loader.start_epoch(epoch);
  Batch batch;
  while (loader.next(&batch)) {
    for (const auto& r : batch.records) ids.push_back(r.id());
    ids.push_back("|");
  }
  return ids;
}

TEST_F(LoaderTest, SeveralWorkersDeliverThePlanInOrder) {
  auto o = options();
  Loader one(paths_, o);
  o.num_workers = 3;
  o.prefetch_batches = 1;
  Loader three(paths_, o);
  const auto expected = epoch_ids(one, 5);
  EXPECT_EQ(epoch_ids(three, 5), expected);
  EXPECT_EQ(epoch_ids(three, 5), expected);  // a second epoch on the same loader
  // Stopping mid-epoch (start_epoch again) is clean.
  three.start_epoch(6);
  Batch batch;
  ASSERT_TRUE(three.next(&batch));
  EXPECT_EQ(epoch_ids(three, 5), expected);
}

TEST_F(LoaderTest, DamagedRecordsAreSkippedWhenAsked) {
  testing::ScratchDir dir("loader-bad");
  const std::string copy = dir.path("copy.shard");
  std::filesystem::copy_file(paths_[0], copy);
  {
    // Damage the payload of record 1 (records are length-delimited: find it).
    ShardReader reader(copy);
    Utterance r;
    reader.next(&r);
    const uint64_t offset = reader.offset();
    std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(std::streamoff(offset + 40));
    f.put('\x7f');
  }
  EXPECT_THROW(Loader({copy}, options()), ShardError);
  auto o = options();
  o.skip_bad_records = true;
  Loader loader({copy}, o);
  EXPECT_EQ(loader.bad_records(), 1);
  EXPECT_EQ(loader.num_records(), 4);
  int64_t seen = 0;
  for (const auto& id : epoch_ids(loader, 0)) seen += id != "|";
  EXPECT_EQ(seen, 4);
}

TEST_F(LoaderTest, RanksGetDisjointEqualShares) {
  auto o0 = options(), o1 = options();
  o0.world_size = o1.world_size = 2;
  o1.rank = 1;
  const auto p0 = Loader(paths_, o0).plan_epoch(1), p1 = Loader(paths_, o1).plan_epoch(1);
  EXPECT_EQ(p0.size(), p1.size());
  std::set<int64_t> r0, r1;
  for (const auto& b : p0) r0.insert(b.begin(), b.end());
  for (const auto& b : p1) r1.insert(b.begin(), b.end());
  for (int64_t r : r0) EXPECT_EQ(r1.count(r), 0u);
  auto bad = options();
  bad.rank = 2;
  bad.world_size = 2;
  EXPECT_THROW(Loader(paths_, bad), std::invalid_argument);
}

TEST_F(LoaderTest, WorkerErrorsReachTheTrainer) {
  testing::ScratchDir dir("loader-error");
  ShardWriter writer(dir.path("broken.shard"));
  Utterance r;
  r.set_id("gone");
  r.set_audio_path(dir.path("missing.wav"));
  r.set_segment_start(0);
  r.set_segment_end(1.0);  // length known without opening the file
  writer.write(r);
  writer.close();
  Loader loader({dir.path("broken.shard")}, options());
  loader.start_epoch(0);
  Batch batch;
  try {
    loader.next(&batch);
    FAIL() << "a record whose audio is missing loaded";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find(dir.path("missing.wav")), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace jstip::data
