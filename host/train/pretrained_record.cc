#include "host/train/pretrained_record.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "host/data/crc32c.h"

namespace fs = std::filesystem;

namespace jstip::train {
namespace {

std::string absolute_path(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

uint32_t crc_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  std::vector<char> buffer(1 << 20);
  uint32_t crc = 0;
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    crc = data::crc32c_extend(crc, buffer.data(), size_t(in.gcount()));
  }
  if (!in.eof()) throw std::runtime_error(path + ": read error while hashing");
  return crc;
}

// The files of a folder that a plugin builds a slot from (see the header; model.bin: CTranslate2).
std::vector<std::string> weight_files(const fs::path& folder) {
  std::vector<std::string> names, everything;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    everything.push_back(name);
    if (name == "config.json" || name == "model.safetensors.index.json" || name == "model.bin" ||
        entry.path().extension() == ".safetensors")
      names.push_back(name);
  }
  // A folder in some other layout: all of it (a plugin may read any of its files).
  if (names.empty()) names = everything;
  std::sort(names.begin(), names.end());
  return names;
}

std::string describe(const FileRecord& file, const std::string& path) {
  return (file.name.empty() ? path : path + "/" + file.name) + " (size " + std::to_string(file.size) + ", crc32c " +
         crc32c_hex(file.crc32c) + ")";
}

}  // namespace

std::string crc32c_hex(uint32_t crc) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", crc);
  return text;
}

uint32_t file_crc32c(const std::string& path) {
  using Key = std::tuple<std::string, uintmax_t, fs::file_time_type::rep>;
  static std::mutex mutex;
  static std::map<Key, uint32_t> cache;
  const std::string absolute = absolute_path(path);
  const Key key{absolute, fs::file_size(absolute), fs::last_write_time(absolute).time_since_epoch().count()};
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto found = cache.find(key);
    if (found != cache.end()) return found->second;
  }
  const uint32_t crc = crc_of_file(absolute);
  std::lock_guard<std::mutex> lock(mutex);
  cache[key] = crc;
  return crc;
}

PretrainedRecord record_pretrained(const std::string& key, const std::string& path) {
  PretrainedRecord record;
  record.key = key;
  record.path = absolute_path(path);
  std::error_code ec;
  if (fs::is_directory(record.path, ec)) {
    for (const std::string& name : weight_files(record.path)) {
      const std::string file = (fs::path(record.path) / name).string();
      record.files.push_back({name, static_cast<int64_t>(fs::file_size(file)), file_crc32c(file)});
    }
    if (record.files.empty()) throw std::runtime_error(key + " = " + record.path + ": the folder holds no files");
  } else if (fs::is_regular_file(record.path, ec)) {
    record.files.push_back({"", static_cast<int64_t>(fs::file_size(record.path)), file_crc32c(record.path)});
  } else {
    throw std::runtime_error(key + " = " + record.path + ": no such file or folder");
  }
  return record;
}

void check_pretrained(const PretrainedRecord& recorded, const std::string& given, const std::string& checkpoint,
                      const std::string& need) {
  const std::string given_path = given.empty() ? "" : absolute_path(given);
  const bool replaced = given_path != recorded.path;
  for (const FileRecord& file : recorded.files) {
    auto fail = [&](const std::string& what) {
      std::string where;  // what the config names now, when it is not the recorded path
      if (given.empty()) where = "the config sets no " + recorded.key + "; ";
      else if (replaced)
        where = "the given " + recorded.key + "=" + given + (file.name.empty() ? "" : ": " + file.name) + ": ";
      throw std::runtime_error("checkpoint " + checkpoint + " needs " + need + " '" + recorded.key + "' = " +
                               describe(file, recorded.path) + ": " + where + what +
                               ". Put the file back, or give its new place (" + recorded.key +
                               "=NEWPATH, checked against the same size and crc32c); where it is available, `jstip "
                               "export " + checkpoint + " --out DIR` writes a folder that decodes without it");
    };
    if (given_path.empty()) fail("it is needed");
    const std::string path = file.name.empty() ? given_path : (fs::path(given_path) / file.name).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) fail("file not found");
    const auto size = static_cast<int64_t>(fs::file_size(path));
    if (size != file.size) fail("changed (size now " + std::to_string(size) + ")");
    const uint32_t crc = file_crc32c(path);
    if (crc != file.crc32c) fail("changed (crc32c now " + crc32c_hex(crc) + ")");
  }
}

Json to_json(const PretrainedRecord& record) {
  Json j = Json::object();
  j.set("key", Json::string(record.key));
  j.set("path", Json::string(record.path));
  Json files = Json::array();
  for (const FileRecord& file : record.files) {
    Json f = Json::object();
    f.set("name", Json::string(file.name));
    f.set("size", Json::integer(file.size));
    f.set("crc32c", Json::string(crc32c_hex(file.crc32c)));
    files.push(std::move(f));
  }
  j.set("files", std::move(files));
  return j;
}

PretrainedRecord pretrained_record_from_json(const Json& json, const std::string& origin) {
  auto bad = [&](const std::string& field, const std::string& expected) {
    throw std::runtime_error(origin + ": " + field + ": expected " + expected);
  };
  if (!json.is_object()) bad("(record)", "an object with key, path and files");
  PretrainedRecord record;
  const Json* key = json.find("key");
  const Json* path = json.find("path");
  const Json* files = json.find("files");
  if (!key || !key->is_string() || key->as_string().empty()) bad("key", "a config key such as llm.pretrained");
  if (!path || !path->is_string() || !fs::path(path->as_string()).is_absolute()) bad("path", "an absolute path");
  if (!files || !files->is_array() || files->items().empty()) bad("files", "a non-empty list");
  record.key = key->as_string();
  record.path = path->as_string();
  for (size_t i = 0; i < files->items().size(); ++i) {
    const Json& f = files->items()[i];
    const std::string where = record.key + ".files[" + std::to_string(i) + "]";
    const Json* name = f.find("name");
    const Json* size = f.find("size");
    const Json* crc = f.find("crc32c");
    if (!name || !name->is_string() || name->as_string().find("..") != std::string::npos ||
        fs::path(name->as_string()).is_absolute())
      bad(where + ".name", "a file name inside the recorded folder");
    if (!size || !size->is_integer() || size->as_int() < 0) bad(where + ".size", "a byte count");
    if (!crc || !crc->is_string() || crc->as_string().size() != 8 ||
        crc->as_string().find_first_not_of("0123456789abcdef") != std::string::npos)
      bad(where + ".crc32c", "8 lowercase hex digits");
    record.files.push_back({name->as_string(), size->as_int(),
                            static_cast<uint32_t>(std::stoul(crc->as_string(), nullptr, 16))});
  }
  if (record.files.size() > 1 || !record.files[0].name.empty())
    for (const FileRecord& f : record.files)
      if (f.name.empty()) bad(record.key + ".files", "names for every file of a folder");
  return record;
}

}  // namespace jstip::train
