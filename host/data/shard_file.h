// Shard files: a small header then length-delimited Utterance records, each
// guarded by CRC32C.
//
//   header  "JSTIPSHD" | u32 version | u32 reserved | u64 record_count | u32 crc32c(previous 24 bytes)
//   record  u64 length | u32 crc32c(length bytes) | payload | u32 crc32c(payload)
//
// All integers little-endian. Writers produce the file under a temporary
// name and rename it on close, so a reader never sees a half-written shard.
#pragma once

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <memory>
#include <string>
#include <vector>

#include "proto/utterance.pb.h"

namespace jstip::data {

using Utterance = pb::Utterance;

// A damaged or unreadable shard; what() names the file and record index.
class ShardError : public std::runtime_error {
 public:
  ShardError(const std::string& path, int64_t record_index, const std::string& what);
  const std::string& path() const { return path_; }
  int64_t record_index() const { return record_index_; }  // -1: the header

 private:
  std::string path_;
  int64_t record_index_;
};

constexpr uint32_t kShardFormatVersion = 1;
constexpr size_t kShardHeaderSize = 28;

class ShardWriter {
 public:
  explicit ShardWriter(std::string path);  // creates "<path>.tmp.<pid>"
  ~ShardWriter();                          // without close(): the temp file is removed
  ShardWriter(const ShardWriter&) = delete;
  ShardWriter& operator=(const ShardWriter&) = delete;

  void write(const Utterance& record);
  void write_raw(const std::string& payload);  // an already serialized record
  void close();                                // header count, fsync, rename
  uint64_t count() const { return count_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_, temp_path_;
  std::FILE* file_ = nullptr;
  uint64_t count_ = 0;
};

struct ShardReadOptions {
  bool skip_bad_records = false;  // count damaged records instead of throwing
};

class ShardReader {
 public:
  explicit ShardReader(std::string path, ShardReadOptions options = {});
  ~ShardReader();
  ShardReader(const ShardReader&) = delete;
  ShardReader& operator=(const ShardReader&) = delete;

  // Next good record; false at the end. Throws ShardError on damage unless
  // skip_bad_records is set.
  bool next(Utterance* record);
  // Reads the record at a byte offset previously reported by offset().
  void read_at(uint64_t offset, int64_t record_index, Utterance* record);

  uint64_t offset() const { return offset_; }        // byte offset of the next record
  // Where the record last returned by next() lies (for read_at()).
  uint64_t last_offset() const { return last_offset_; }
  int64_t last_index() const { return last_index_; }
  int64_t next_index() const { return index_; }      // index of the next record
  uint64_t header_count() const { return header_count_; }
  int64_t bad_records() const { return bad_records_; }
  const std::string& path() const { return path_; }

 private:
  enum class Status { Ok, End, Bad, Unrecoverable };
  void read_header();  // checks it; sets file_size_ and header_count_
  Status read_record(std::string* payload, std::string* why);

  std::string path_;
  ShardReadOptions options_;
  std::FILE* file_ = nullptr;
  uint64_t header_count_ = 0;
  uint64_t offset_ = kShardHeaderSize;
  uint64_t file_size_ = 0;
  int64_t index_ = 0;
  int64_t bad_records_ = 0;
  uint64_t last_offset_ = 0;
  int64_t last_index_ = -1;
};

// Writes records into numbered shards "<dir>/<prefix>-00000.shard", starting
// a new one every `records_per_shard` records.
class ShardSetWriter {
 public:
  ShardSetWriter(std::string dir, std::string prefix, int64_t records_per_shard);
  void write(const Utterance& record);
  void close();
  const std::vector<std::string>& paths() const { return paths_; }
  int64_t count() const { return count_; }

 private:
  std::string dir_, prefix_;
  int64_t per_shard_;
  int64_t count_ = 0;
  std::unique_ptr<ShardWriter> current_;
  std::vector<std::string> paths_;
};

// Shard files named on the command line: files as given, directories
// expanded to their *.shard files in name order.
std::vector<std::string> expand_shard_paths(const std::vector<std::string>& inputs);

}  // namespace jstip::data
