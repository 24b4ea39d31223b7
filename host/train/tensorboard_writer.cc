#include "host/train/tensorboard_writer.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "host/data/crc32c.h"
#include "proto/tensorboard_event.pb.h"

namespace jstip::train {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t crc = data::crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

TensorBoardWriter::TensorBoardWriter(const std::string& dir) {
  std::filesystem::create_directories(dir);
  char host[256] = "localhost";
  ::gethostname(host, sizeof(host) - 1);
  path_ = dir + "/events.out.tfevents." + std::to_string(static_cast<int64_t>(now_seconds())) + "." + host;
  file_ = std::fopen(path_.c_str(), "ab");
  if (!file_) throw std::runtime_error(path_ + ": cannot create TensorBoard event file");
  pb::Event version;
  version.set_wall_time(now_seconds());
  version.set_file_version("brain.Event:2");
  write_record(version.SerializeAsString());
}

TensorBoardWriter::~TensorBoardWriter() {
  if (file_) std::fclose(file_);
}

void TensorBoardWriter::scalars(int64_t step, const std::map<std::string, double>& values) {
  pb::Event event;
  event.set_wall_time(now_seconds());
  event.set_step(step);
  for (const auto& [tag, value] : values) {
    auto* v = event.mutable_summary()->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  write_record(event.SerializeAsString());
}

void TensorBoardWriter::write_record(const std::string& data) {
  const uint64_t length = data.size();  // little-endian on every platform we build for
  const uint32_t length_crc = masked_crc32c(&length, sizeof(length));
  const uint32_t data_crc = masked_crc32c(data.data(), data.size());
  bool ok = std::fwrite(&length, sizeof(length), 1, file_) == 1 &&
            std::fwrite(&length_crc, sizeof(length_crc), 1, file_) == 1 &&
            std::fwrite(data.data(), 1, data.size(), file_) == data.size() &&
            std::fwrite(&data_crc, sizeof(data_crc), 1, file_) == 1 && std::fflush(file_) == 0;
  if (!ok) throw std::runtime_error(path_ + ": writing a TensorBoard record failed (disk full?)");
}

}  // namespace jstip::train
