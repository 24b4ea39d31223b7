// Fuzz target: ShardReader (host/data/shard_file.cc) on arbitrary bytes.
// Properties: the only exception is ShardError naming the file, and the
// file is closed after it (fuzz_util.h NoFdLeak, in every harness); with
// skip_bad_records, next() never throws past the header; read_at() at a
// reported offset gives back the record next() returned.
#include <google/protobuf/util/message_differencer.h>

#include <vector>

#include "fuzz/fuzz_util.h"
#include "host/data/shard_file.h"

using jstip::data::ShardError;
using jstip::data::ShardReader;
using jstip::data::Utterance;

namespace {

void read_all(const std::string& path, bool skip) {
  ShardReader reader(path, {skip});  // header errors throw here
  struct Seen {
    uint64_t offset;
    int64_t index;
    Utterance record;
  };
  std::vector<Seen> seen;
  Utterance record;
  try {
    while (reader.next(&record)) seen.push_back({reader.last_offset(), reader.last_index(), record});
  } catch (const ShardError& e) {
    if (skip) jstip::fuzz::finding(std::string("next() threw with skip_bad_records: ") + e.what());
    throw;
  }
  for (const Seen& s : seen) {
    Utterance again;
    reader.read_at(s.offset, s.index, &again);
    if (!google::protobuf::util::MessageDifferencer::Equals(again, s.record))
      jstip::fuzz::finding("read_at(" + std::to_string(s.offset) + ") differs from what next() returned");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static jstip::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  const jstip::fuzz::NoFdLeak no_fd_leak;
  for (bool skip : {false, true}) {
    try {
      read_all(path, skip);
    } catch (const ShardError& e) {
      jstip::fuzz::require_names(e, path);
    }
  }
  return 0;
}
