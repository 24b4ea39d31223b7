// Writes TensorBoard event files natively: protobuf Event records framed as
// TFRecords (length, masked CRC32C of the length, data, masked CRC32C of the
// data). `tensorboard --logdir <output_dir>/tb` reads them.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

namespace jstip::train {

class TensorBoardWriter {
 public:
  // Creates <dir>/events.out.tfevents.<unix time>.<host> and writes the version record.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  void scalars(int64_t step, const std::map<std::string, double>& values);
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& data);
  std::string path_;
  std::FILE* file_ = nullptr;
};

// TFRecord's CRC mask (so CRCs of CRC-bearing data stay well distributed).
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace jstip::train
