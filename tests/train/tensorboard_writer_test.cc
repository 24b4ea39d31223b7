#include "host/train/tensorboard_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "proto/tensorboard_event.pb.h"

namespace {

using namespace jstip::train;

TEST(TensorBoardWriter, MaskedCrcMatchesTfRecord) {
  // CRC-32C("123456789") = 0xE3069283 (the standard check value); TFRecord
  // masks it as rotate-right-15 plus 0xa282ead8.
  const uint32_t crc = 0xE3069283u;
  EXPECT_EQ(masked_crc32c("123456789", 9), ((crc >> 15) | (crc << 17)) + 0xa282ead8u);
}

TEST(TensorBoardWriter, WritesFramedScalarEvents) {
  auto dir = std::filesystem::path(JSTIP_BINARY_DIR) / "test_scratch" / "tensorboard";
  std::filesystem::remove_all(dir);
  std::string path;
  {
    TensorBoardWriter writer(dir.string());
    writer.scalars(3, {{"train/loss", 2.5}, {"train/lr", 1e-3}});
    writer.scalars(4, {{"train/loss", 2.25}});
    path = writer.path();
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  const std::string file = bytes.str();
  std::vector<jstip::train::pb::Event> events;
  for (size_t pos = 0; pos < file.size();) {
    ASSERT_LE(pos + 12, file.size());
    uint64_t length;
    uint32_t length_crc, data_crc;
    std::memcpy(&length, file.data() + pos, 8);
    std::memcpy(&length_crc, file.data() + pos + 8, 4);
    EXPECT_EQ(length_crc, masked_crc32c(file.data() + pos, 8));
    ASSERT_LE(pos + 16 + length, file.size());
    std::memcpy(&data_crc, file.data() + pos + 12 + length, 4);
    EXPECT_EQ(data_crc, masked_crc32c(file.data() + pos + 12, length));
    jstip::train::pb::Event event;
    ASSERT_TRUE(event.ParseFromArray(file.data() + pos + 12, static_cast<int>(length)));
    events.push_back(event);
    pos += 16 + length;
  }
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  EXPECT_EQ(events[1].step(), 3);
  ASSERT_EQ(events[1].summary().value_size(), 2);
  EXPECT_EQ(events[1].summary().value(0).tag(), "train/loss");
  EXPECT_FLOAT_EQ(events[1].summary().value(0).simple_value(), 2.5f);
  EXPECT_EQ(events[2].step(), 4);
  EXPECT_FLOAT_EQ(events[2].summary().value(0).simple_value(), 2.25f);
}

}  // namespace
