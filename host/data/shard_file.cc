#include "host/data/shard_file.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "host/data/crc32c.h"
#include "host/data/little_endian.h"

namespace jstip::data {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'J', 'S', 'T', 'I', 'P', 'S', 'H', 'D'};
// Larger lengths are treated as damage rather than allocated.
constexpr uint64_t kMaxRecordBytes = uint64_t(1) << 31;


std::string make_header(uint64_t count) {
  std::string h(kShardHeaderSize, '\0');
  std::memcpy(&h[0], kMagic, 8);
  put_u32(&h[8], kShardFormatVersion);
  put_u32(&h[12], 0);
  put_u64(&h[16], count);
  put_u32(&h[24], crc32c(h.data(), 24));
  return h;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

ShardError::ShardError(const std::string& path, int64_t record_index, const std::string& what)
    : std::runtime_error(path + (record_index < 0 ? ": header: " : ": record " + std::to_string(record_index) + ": ") + what),
      path_(path),
      record_index_(record_index) {}

// ---------------------------------------------------------------- writer

ShardWriter::ShardWriter(std::string path) : path_(std::move(path)) {
  temp_path_ = path_ + ".tmp." + std::to_string(::getpid());
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (!file_) throw ShardError(path_, -1, "cannot create " + temp_path_ + ": " + errno_text());
  const std::string header = make_header(0);
  if (std::fwrite(header.data(), 1, header.size(), file_) != header.size())
    throw ShardError(path_, -1, "write failed: " + errno_text());
}

ShardWriter::~ShardWriter() {
  if (file_) {
    std::fclose(file_);
    std::remove(temp_path_.c_str());
  }
}

void ShardWriter::write(const Utterance& record) {
  std::string payload;
  if (!record.SerializeToString(&payload))
    throw ShardError(path_, int64_t(count_), "cannot serialize record '" + record.id() + "'");
  write_raw(payload);
}

void ShardWriter::write_raw(const std::string& payload) {
  if (!file_) throw ShardError(path_, int64_t(count_), "write after close");
  char head[12], tail[4];
  put_u64(head, payload.size());
  put_u32(head + 8, crc32c(head, 8));
  put_u32(tail, crc32c(payload.data(), payload.size()));
  if (std::fwrite(head, 1, 12, file_) != 12 ||
      std::fwrite(payload.data(), 1, payload.size(), file_) != payload.size() ||
      std::fwrite(tail, 1, 4, file_) != 4)
    throw ShardError(path_, int64_t(count_), "write failed: " + errno_text());
  ++count_;
}

void ShardWriter::close() {
  if (!file_) return;
  const std::string header = make_header(count_);
  bool ok = std::fseek(file_, 0, SEEK_SET) == 0 &&
            std::fwrite(header.data(), 1, header.size(), file_) == header.size() &&
            std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  ok = (std::fclose(file_) == 0) && ok;
  file_ = nullptr;
  if (!ok) {
    std::remove(temp_path_.c_str());
    throw ShardError(path_, -1, "finishing " + temp_path_ + " failed: " + errno_text());
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    std::string why = errno_text();
    std::remove(temp_path_.c_str());
    throw ShardError(path_, -1, "rename from " + temp_path_ + " failed: " + why);
  }
}

// ---------------------------------------------------------------- reader

ShardReader::ShardReader(std::string path, ShardReadOptions options)
    : path_(std::move(path)), options_(options) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) throw ShardError(path_, -1, "cannot open: " + errno_text());
  try {
    read_header();
  } catch (...) {
    // No destructor runs for a constructor that throws: without this every
    // rejected shard kept its file open (found by fuzzing).
    std::fclose(file_);
    file_ = nullptr;
    throw;
  }
}

void ShardReader::read_header() {
  std::fseek(file_, 0, SEEK_END);
  file_size_ = uint64_t(std::ftell(file_));
  std::fseek(file_, 0, SEEK_SET);
  char h[kShardHeaderSize];
  if (std::fread(h, 1, kShardHeaderSize, file_) != kShardHeaderSize)
    throw ShardError(path_, -1, "file too short for a shard header (" + std::to_string(file_size_) + " bytes)");
  if (std::memcmp(h, kMagic, 8) != 0) throw ShardError(path_, -1, "not a jstip shard (bad magic)");
  if (get_u32(h + 24) != crc32c(h, 24)) throw ShardError(path_, -1, "header checksum mismatch");
  const uint32_t version = get_u32(h + 8);
  if (version != kShardFormatVersion)
    throw ShardError(path_, -1, "format version " + std::to_string(version) + ", this build reads version " +
                                    std::to_string(kShardFormatVersion));
  header_count_ = get_u64(h + 16);
}

ShardReader::~ShardReader() {
  if (file_) std::fclose(file_);
}

ShardReader::Status ShardReader::read_record(std::string* payload, std::string* why) {
  if (offset_ == file_size_) {
    if (uint64_t(index_) < header_count_) {
      *why = "file ends after " + std::to_string(index_) + " records, header says " + std::to_string(header_count_) +
             " (truncated)";
      return Status::Unrecoverable;
    }
    return Status::End;
  }
  std::fseek(file_, long(offset_), SEEK_SET);
  char head[12];
  if (std::fread(head, 1, 12, file_) != 12) {
    *why = "truncated record header at byte " + std::to_string(offset_);
    return Status::Unrecoverable;
  }
  if (get_u32(head + 8) != crc32c(head, 8)) {
    *why = "length checksum mismatch at byte " + std::to_string(offset_);
    return Status::Unrecoverable;  // the length cannot be trusted: no way to find the next record
  }
  const uint64_t length = get_u64(head);
  if (length > kMaxRecordBytes || offset_ + 16 + length > file_size_) {
    *why = "record of " + std::to_string(length) + " bytes at byte " + std::to_string(offset_) +
           " runs past the end of the file (truncated)";
    return Status::Unrecoverable;
  }
  payload->resize(length);
  char tail[4];
  if (std::fread(payload->data(), 1, length, file_) != length || std::fread(tail, 1, 4, file_) != 4) {
    *why = "read failed at byte " + std::to_string(offset_);
    return Status::Unrecoverable;
  }
  offset_ += 16 + length;
  if (get_u32(tail) != crc32c(payload->data(), length)) {
    *why = "payload checksum mismatch (record at byte " + std::to_string(offset_ - 16 - length) + ")";
    return Status::Bad;
  }
  return Status::Ok;
}

bool ShardReader::next(Utterance* record) {
  std::string payload, why;
  for (;;) {
    const int64_t index = index_;
    const uint64_t at = offset_;
    const Status status = read_record(&payload, &why);
    if (status == Status::End) return false;
    if (status == Status::Ok) {
      ++index_;
      if (record->ParseFromString(payload)) {
        last_offset_ = at;
        last_index_ = index;
        return true;
      }
      why = "payload is not an Utterance record";
    } else if (status == Status::Bad) {
      ++index_;
    }
    if (!options_.skip_bad_records) throw ShardError(path_, index, why);
    if (status == Status::Unrecoverable) {
      // Everything the header promised from here on is lost.
      bad_records_ += std::max<int64_t>(1, int64_t(header_count_) - index);
      offset_ = file_size_;
      index_ = std::max<int64_t>(index_, int64_t(header_count_));
      return false;
    }
    ++bad_records_;
  }
}

void ShardReader::read_at(uint64_t offset, int64_t record_index, Utterance* record) {
  offset_ = offset;
  index_ = record_index;
  std::string payload, why;
  const Status status = read_record(&payload, &why);
  if (status == Status::End) throw ShardError(path_, record_index, "no record at byte " + std::to_string(offset));
  if (status != Status::Ok) throw ShardError(path_, record_index, why);
  ++index_;
  if (!record->ParseFromString(payload)) throw ShardError(path_, record_index, "payload is not an Utterance record");
}

// ---------------------------------------------------------------- sets

ShardSetWriter::ShardSetWriter(std::string dir, std::string prefix, int64_t records_per_shard)
    : dir_(std::move(dir)), prefix_(std::move(prefix)), per_shard_(std::max<int64_t>(1, records_per_shard)) {
  fs::create_directories(dir_);
}

void ShardSetWriter::write(const Utterance& record) {
  if (!current_ || int64_t(current_->count()) >= per_shard_) {
    if (current_) current_->close();
    char name[32];
    std::snprintf(name, sizeof(name), "-%05zu.shard", paths_.size());
    paths_.push_back((fs::path(dir_) / (prefix_ + name)).string());
    current_ = std::make_unique<ShardWriter>(paths_.back());
  }
  current_->write(record);
  ++count_;
}

void ShardSetWriter::close() {
  if (current_) current_->close();
  current_.reset();
}

std::vector<std::string> expand_shard_paths(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const auto& input : inputs) {
    if (fs::is_directory(input)) {
      std::vector<std::string> found;
      for (const auto& entry : fs::directory_iterator(input))
        if (entry.path().extension() == ".shard") found.push_back(entry.path().string());
      std::sort(found.begin(), found.end());
      if (found.empty()) throw std::runtime_error(input + ": directory holds no *.shard files");
      out.insert(out.end(), found.begin(), found.end());
    } else if (fs::exists(input)) {
      out.push_back(input);
    } else {
      throw std::runtime_error(input + ": no such shard file or directory");
    }
  }
  return out;
}

}  // namespace jstip::data
