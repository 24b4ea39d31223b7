#include "jstip/safetensors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "jstip/json.h"
#include "safetensors_index.h"

namespace jstip::safetensors {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // same bound as the reference implementation

struct DtypeEntry {
  const char* name;
  torch::Dtype dtype;
  uint64_t size;
};
const DtypeEntry kDtypes[] = {
    {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2}, {"BF16", torch::kBFloat16, 2},
    {"F64", torch::kFloat64, 8}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},   {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeEntry* find_dtype(const std::string& name) {
  for (const auto& entry : kDtypes)
    if (name == entry.name) return &entry;
  return nullptr;
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw SafetensorsError("safetensors file '" + path + "': " + what);
}

uint64_t file_size_of(std::ifstream& in) {
  in.seekg(0, std::ios::end);
  auto size = static_cast<uint64_t>(in.tellg());
  in.seekg(0, std::ios::beg);
  return size;
}

TensorInfo parse_entry(const std::string& path, const std::string& name, const Json& entry, uint64_t data_size) {
  auto bad = [&](const std::string& what) { fail(path, "tensor '" + name + "': " + what); };
  if (!entry.is_object()) bad("header entry is not an object");
  TensorInfo info;
  const Json* dtype = entry.find("dtype");
  const Json* shape = entry.find("shape");
  const Json* offsets = entry.find("data_offsets");
  if (!dtype || !dtype->is_string()) bad("missing or non-string 'dtype'");
  if (!shape || !shape->is_array()) bad("missing or non-array 'shape'");
  if (!offsets || !offsets->is_array() || offsets->items().size() != 2) bad("'data_offsets' must be [begin, end]");
  info.dtype = dtype->as_string();
  const DtypeEntry* known = find_dtype(info.dtype);
  if (!known) bad("unsupported dtype '" + info.dtype + "'");

  // numel * element size, refusing anything that could overflow.
  uint64_t bytes = known->size;
  for (const Json& dim : shape->items()) {
    if (!dim.is_integer() || dim.as_int() < 0) bad("shape entries must be non-negative integers");
    auto d = static_cast<uint64_t>(dim.as_int());
    if (d != 0 && bytes > (uint64_t{1} << 62) / d) bad("shape is too large");
    bytes *= d;
    info.shape.push_back(dim.as_int());
  }
  for (const Json& off : offsets->items())
    if (!off.is_integer() || off.as_int() < 0) bad("data_offsets must be non-negative integers");
  info.begin = static_cast<uint64_t>(offsets->items()[0].as_int());
  info.end = static_cast<uint64_t>(offsets->items()[1].as_int());
  if (info.begin > info.end) bad("data_offsets begin > end");
  if (info.end > data_size)
    bad("data_offsets end " + std::to_string(info.end) + " is past the data section (" + std::to_string(data_size) +
        " bytes)");
  if (info.end - info.begin != bytes)
    bad("data_offsets span " + std::to_string(info.end - info.begin) + " bytes but dtype and shape need " +
        std::to_string(bytes));
  return info;
}

Header read_header_from(std::ifstream& in, const std::string& path) {
  uint64_t file_size = file_size_of(in);
  if (file_size < 8) fail(path, "shorter than the 8-byte header length");
  unsigned char length_bytes[8];
  in.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header_length = 0;
  for (int i = 7; i >= 0; --i) header_length = (header_length << 8) | length_bytes[i];  // little endian
  if (header_length > kMaxHeaderBytes) fail(path, "header length " + std::to_string(header_length) + " is too large");
  if (header_length > file_size - 8)
    fail(path, "header length " + std::to_string(header_length) + " exceeds the file size " + std::to_string(file_size));
  std::string text(header_length, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_length));
  if (static_cast<uint64_t>(in.gcount()) != header_length) fail(path, "could not read the header");

  Json json;
  try {
    json = Json::parse(text, 8);
  } catch (const JsonError& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!json.is_object()) fail(path, "header is not a JSON object");

  Header header;
  header.data_start = 8 + header_length;
  uint64_t data_size = file_size - header.data_start;
  for (const auto& [name, entry] : json.fields()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail(path, "__metadata__ is not an object");
      for (const auto& [key, value] : entry.fields()) {
        if (!value.is_string()) fail(path, "__metadata__ value '" + key + "' is not a string");
        header.metadata[key] = value.as_string();
      }
      continue;
    }
    header.tensors[name] = parse_entry(path, name, entry, data_size);
  }

  // Tensors must not share bytes: a writer that overlaps them is broken or hostile.
  std::vector<std::pair<uint64_t, const std::string*>> starts;
  for (const auto& [name, info] : header.tensors)
    if (info.end > info.begin) starts.emplace_back(info.begin, &name);
  std::sort(starts.begin(), starts.end());
  for (size_t i = 1; i < starts.size(); ++i) {
    const TensorInfo& previous = header.tensors.at(*starts[i - 1].second);
    if (previous.end > starts[i].first)
      fail(path, "tensors '" + *starts[i - 1].second + "' and '" + *starts[i].second + "' overlap");
  }
  return header;
}

torch::Tensor read_tensor(std::ifstream& in, const std::string& path, const std::string& name, const Header& header) {
  const TensorInfo& info = header.tensors.at(name);
  torch::Tensor tensor = torch::empty(info.shape, torch::TensorOptions().dtype(dtype_from_name(info.dtype)));
  uint64_t bytes = info.end - info.begin;
  if (bytes == 0) return tensor;
  in.seekg(static_cast<std::streamoff>(header.data_start + info.begin));
  in.read(static_cast<char*>(tensor.data_ptr()), static_cast<std::streamsize>(bytes));
  if (static_cast<uint64_t>(in.gcount()) != bytes) fail(path, "tensor '" + name + "': short read");
  return tensor;
}

// Shard file names come from a file we did not write: keep them inside the directory.
void check_shard_name(const std::string& index_path, const std::string& file) {
  if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos || file == "." ||
      file == "..")
    throw SafetensorsError("index '" + index_path + "': shard file name '" + file + "' is not a plain file name");
}

}  // namespace

std::map<std::string, std::vector<std::string>> read_shard_index(const std::string& index_path) {
  const Json index = read_json_file(index_path);
  const Json* weight_map = index.find("weight_map");  // null unless the index is an object holding one
  if (!weight_map || !weight_map->is_object())
    throw SafetensorsError("index '" + index_path + "' has no 'weight_map' object");
  std::map<std::string, std::vector<std::string>> by_file;
  for (const auto& [name, file] : weight_map->fields()) {
    if (!file.is_string()) throw SafetensorsError("index '" + index_path + "': entry '" + name + "' is not a file name");
    check_shard_name(index_path, file.as_string());
    by_file[file.as_string()].push_back(name);
  }
  return by_file;
}

torch::Dtype dtype_from_name(const std::string& name) {
  const DtypeEntry* entry = find_dtype(name);
  if (!entry) throw SafetensorsError("unsupported safetensors dtype '" + name + "'");
  return entry->dtype;
}

std::string dtype_name(torch::Dtype dtype) {
  for (const auto& entry : kDtypes)
    if (entry.dtype == dtype) return entry.name;
  throw SafetensorsError(std::string("dtype ") + c10::toString(dtype) + " cannot be stored in safetensors");
}

Header read_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SafetensorsError("cannot open safetensors file '" + path + "'");
  return read_header_from(in, path);
}

TensorMap load_file(const std::string& path, const std::vector<std::string>& names, Metadata* metadata) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw SafetensorsError("cannot open safetensors file '" + path + "'");
  Header header = read_header_from(in, path);
  if (metadata) *metadata = header.metadata;
  TensorMap out;
  if (names.empty()) {
    for (const auto& entry : header.tensors) out[entry.first] = read_tensor(in, path, entry.first, header);
  } else {
    for (const auto& name : names) {
      if (!header.tensors.count(name)) fail(path, "has no tensor '" + name + "'");
      out[name] = read_tensor(in, path, name, header);
    }
  }
  return out;
}

void save_file(const std::string& path, const TensorMap& tensors, const Metadata& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto& [key, value] : metadata) meta.set(key, Json::string(value));
    header.set("__metadata__", meta);
  }
  std::vector<torch::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (!tensor.defined()) throw SafetensorsError("cannot save undefined tensor '" + name + "' to '" + path + "'");
    torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    Json entry = Json::object();
    entry.set("dtype", Json::string(dtype_name(cpu.scalar_type())));
    Json shape = Json::array();
    for (int64_t d : cpu.sizes()) shape.push(Json::integer(d));
    entry.set("shape", shape);
    uint64_t bytes = cpu.numel() * cpu.element_size();
    Json offsets = Json::array();
    offsets.push(Json::integer(static_cast<int64_t>(offset)));
    offsets.push(Json::integer(static_cast<int64_t>(offset + bytes)));
    entry.set("data_offsets", offsets);
    header.set(name, entry);
    offset += bytes;
    data.push_back(cpu);
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // data section stays 8-byte aligned

  std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw SafetensorsError("cannot write '" + temp + "'");
    unsigned char length_bytes[8];
    uint64_t length = text.size();
    for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>((length >> (8 * i)) & 0xFF);
    out.write(reinterpret_cast<const char*>(length_bytes), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& t : data)
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
    out.close();  // flushes: a full disk shows up here, not at destruction
    if (!out) {
      std::remove(temp.c_str());
      throw SafetensorsError("failed writing '" + temp + "' (disk full?)");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0)
    throw SafetensorsError("cannot rename '" + temp + "' to '" + path + "'");
}

TensorMap load_directory(const std::string& directory) {
  fs::path dir(directory);
  fs::path index_path = dir / "model.safetensors.index.json";
  if (fs::exists(index_path)) {
    TensorMap out;
    for (const auto& [file, names] : read_shard_index(index_path.string())) {
      TensorMap shard = load_file((dir / file).string(), names);
      for (auto& entry : shard) out[entry.first] = std::move(entry.second);
    }
    return out;
  }
  fs::path single = dir / "model.safetensors";
  if (!fs::exists(single))
    throw SafetensorsError("directory '" + directory + "' has neither model.safetensors nor model.safetensors.index.json");
  return load_file(single.string());
}

void save_directory(const std::string& directory, const TensorMap& tensors, uint64_t max_shard_bytes,
                    const Metadata& metadata) {
  fs::path dir(directory);
  fs::create_directories(dir);
  uint64_t total = 0;
  for (const auto& entry : tensors) total += entry.second.numel() * entry.second.element_size();
  Metadata with_format = metadata;
  with_format.emplace("format", "pt");  // what transformers expects to find
  if (max_shard_bytes == 0 || total <= max_shard_bytes) {
    fs::remove(dir / "model.safetensors.index.json");  // a stale index would shadow the new file
    save_file((dir / "model.safetensors").string(), tensors, with_format);
    return;
  }
  // Greedy packing in name order, as transformers does.
  std::vector<TensorMap> shards(1);
  uint64_t current = 0;
  for (const auto& [name, tensor] : tensors) {
    uint64_t bytes = tensor.numel() * tensor.element_size();
    if (current > 0 && current + bytes > max_shard_bytes) {
      shards.emplace_back();
      current = 0;
    }
    shards.back()[name] = tensor;
    current += bytes;
  }
  Json weight_map = Json::object();
  char file_name[64];
  for (size_t i = 0; i < shards.size(); ++i) {
    std::snprintf(file_name, sizeof file_name, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
    save_file((dir / file_name).string(), shards[i], with_format);
    for (const auto& entry : shards[i]) weight_map.set(entry.first, Json::string(file_name));
  }
  Json index = Json::object();
  Json meta = Json::object();
  meta.set("total_size", Json::integer(static_cast<int64_t>(total)));
  index.set("metadata", meta);
  index.set("weight_map", weight_map);
  write_json_file((dir / "model.safetensors.index.json").string(), index);
  fs::remove(dir / "model.safetensors");
}

}  // namespace jstip::safetensors
