#include "host/train/encoder_cache.h"

#include <ATen/autocast_mode.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "host/data/crc32c.h"
#include "host/data/little_endian.h"
#include "host/data/feature_extractor.h"
#include "host/data/loader.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/config_loader.h"
#include "host/train/tensor_hash.h"
#include "jstip/nn/freeze.h"

namespace jstip::train {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'J', 'S', 'T', 'I', 'P', 'E', 'N', 'C'};
// Larger values are damage, not sizes to allocate.
constexpr uint64_t kMaxFrames = uint64_t(1) << 24;
constexpr uint64_t kMaxDim = uint64_t(1) << 20;

using data::get_u32;
using data::get_u64;
using data::put_u32;
using data::put_u64;

std::string errno_text() { return std::strerror(errno); }

// Payloads are float32 in the host's byte order; the header says little-endian.
void require_little_endian() {
  const uint16_t probe = 1;
  uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  if (first != 1) throw std::runtime_error("the encoder cache stores float32 little-endian; this host is big-endian");
}

EncoderCacheError damage(const std::string& path, int64_t record_index, const std::string& what) {
  return EncoderCacheError(path + ": record " + std::to_string(record_index) + ": " + what +
                           " (delete the file and it is recomputed)");
}

uint64_t hash_tensor_bytes(const torch::Tensor& t, uint64_t seed) {
  const torch::Tensor cpu = t.detach().to(torch::kCPU).contiguous();
  return xxh64(cpu.data_ptr(), static_cast<size_t>(cpu.numel()) * cpu.element_size(), seed);
}

uint64_t hash_text(const std::string& text, uint64_t seed) { return xxh64(text.data(), text.size(), seed); }

// Every named tensor: its name, dtype, shape and bytes.
uint64_t hash_named(const torch::OrderedDict<std::string, torch::Tensor>& tensors, uint64_t seed) {
  for (const auto& item : tensors) {
    seed = hash_text(item.key(), seed);
    seed = hash_text(std::string(c10::toString(item.value().scalar_type())), seed);
    for (int64_t d : item.value().sizes()) seed = xxh64(&d, sizeof d, seed);
    seed = hash_tensor_bytes(item.value(), seed);
  }
  return seed;
}

// The encoder's options as resolved, without the keys that do not change its
// output: training keys (freeze, lora, ...) and `pretrained` (the weights are hashed).
std::string encoder_options_text(const Config& config) {
  if (!config.has("encoder")) return "";
  auto node = config.child("encoder").node()->clone();
  auto& fields = node->fields;
  fields.erase(std::remove_if(fields.begin(), fields.end(),
                              [](const auto& field) {
                                // Freezing changes no output; `lora` does (alpha / rank scales
                                // the adapters, a plain member the weight hash does not see).
                                return field.first == "pretrained" || field.first == "freeze" ||
                                       field.first == "freeze_patterns" || field.first == "unfreeze_patterns";
                              }),
               fields.end());
  return host::dump_yaml_flow(node);
}

bool write_all(std::FILE* file, const void* data, size_t size) { return std::fwrite(data, 1, size, file) == size; }

// The features one row's encoder reads: the whole window with pad_30s, else its valid frames.
torch::Tensor read_features(const torch::Tensor& features, const torch::Tensor& lengths, int64_t row, bool pad_30s) {
  const int64_t frames = pad_30s ? features.size(1) : lengths[row].item<int64_t>();
  return features[row].narrow(0, 0, frames);
}

// The encoder in eval mode for a while (restored on exit, also on errors).
class EvalScope {
 public:
  explicit EvalScope(torch::nn::Module& module) : module_(module), was_training_(module.is_training()) { module_.eval(); }
  ~EvalScope() { module_.train(was_training_); }
  EvalScope(const EvalScope&) = delete;
  EvalScope& operator=(const EvalScope&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

// Autocast off for a while (trainer.precision: bf16 runs the step under it):
// outputs computed once are computed in fp32, whatever the run's precision.
class Fp32Scope {
 public:
  Fp32Scope() : gpu_(at::autocast::is_enabled()), cpu_(at::autocast::is_cpu_enabled()) {
    at::autocast::set_enabled(false);
    at::autocast::set_cpu_enabled(false);
  }
  ~Fp32Scope() {
    at::autocast::set_enabled(gpu_);
    at::autocast::set_cpu_enabled(cpu_);
  }
  Fp32Scope(const Fp32Scope&) = delete;
  Fp32Scope& operator=(const Fp32Scope&) = delete;

 private:
  bool gpu_, cpu_;
};

}  // namespace

namespace {

constexpr const char* kCtcHeadPrefix = "ctc_head.";

bool in_ctc_head(const std::string& name) { return name.rfind(kCtcHeadPrefix, 0) == 0; }

EncoderCacheKey make_key(graph::SpeechLLM& model, const Config& config, bool live_head) {
  auto params = model.encoder().named_parameters(/*recurse=*/true);
  auto buffers = model.encoder().named_buffers(/*recurse=*/true);
  if (live_head) {
    torch::OrderedDict<std::string, torch::Tensor> trunk, trunk_buffers;
    for (const auto& item : params)
      if (!in_ctc_head(item.key())) trunk.insert(item.key(), item.value());
    for (const auto& item : buffers)
      if (!in_ctc_head(item.key())) trunk_buffers.insert(item.key(), item.value());
    params = std::move(trunk);
    buffers = std::move(trunk_buffers);
  }
  uint64_t weights = hash_named(params, 0x6a73746970656e63ULL);
  weights = hash_named(buffers, weights);
  EncoderCacheKey key;
  key.inputs = Json::object();
  key.inputs.set("format", Json::integer(kEncoderCacheFormatVersion));
  key.inputs.set("encoder", Json::string(config.get_string("encoder.type", "")));
  key.inputs.set("encoder_options", Json::string(encoder_options_text(config)));
  key.inputs.set("encoder_weights", Json::string(hash_hex(weights)));
  if (live_head) key.inputs.set("ctc_head", Json::string("live (not cached, not in encoder_weights)"));
  key.inputs.set("features", data::make_feature_extractor(data::features_options(config))->options_json());
  key.inputs.set("features.pad_30s", Json::boolean(model.pad_30s()));
  key.inputs.set("data.feature_norm", Json::string(model.normalizes_features() ? "utterance" : "none"));
  key.id = hash_hex(hash_text(key.inputs.dump(), 0));
  return key;
}

}  // namespace

EncoderCacheKey encoder_cache_key(graph::SpeechLLM& model, const Config& config) {
  return make_key(model, config, /*live_head=*/false);
}

EncoderCacheKey encoder_trunk_cache_key(graph::SpeechLLM& model, const Config& config) {
  return make_key(model, config, /*live_head=*/true);
}

jstip::nn::LoraLinear live_ctc_head(graph::SpeechLLM& model) {
  bool head_trains = false;
  for (const auto& item : model.encoder().named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    if (!in_ctc_head(item.key())) return nullptr;  // the trunk trains too
    head_trains = true;
  }
  if (!head_trains) return nullptr;
  for (const auto& child : model.encoder().named_children())
    if (child.key() == "ctc_head")
      if (auto head = std::dynamic_pointer_cast<jstip::nn::LoraLinearImpl>(child.value()))
        return jstip::nn::LoraLinear(head);
  return nullptr;  // a head of another type: the convention does not hold, run the encoder live
}

std::string encoding_path(const std::string& shard, int64_t record_index, const std::string& key) {
  const fs::path path(shard);
  char name[32];
  std::snprintf(name, sizeof name, "%08lld.enc", static_cast<long long>(record_index));
  return (path.parent_path() / "encoder-cache" / key / path.filename() / name).string();
}

uint64_t input_hash(const torch::Tensor& row_features, int64_t covered_frames) {
  const torch::Tensor row = row_features.to(torch::kFloat).contiguous();
  uint64_t seed = xxh64(&covered_frames, sizeof covered_frames, 0x696e707574ULL);
  for (int64_t d : row.sizes()) seed = xxh64(&d, sizeof d, seed);
  return xxh64(row.data_ptr(), static_cast<size_t>(row.numel()) * sizeof(float), seed);
}

void write_encoding(const std::string& path, int64_t record_index, uint64_t input_hash, const CachedEncoding& encoding) {
  require_little_endian();
  const torch::Tensor hidden = encoding.hidden.to(torch::kCPU).to(torch::kFloat).contiguous();
  const torch::Tensor ctc = encoding.ctc_logits.defined() ? encoding.ctc_logits.to(torch::kCPU).to(torch::kFloat).contiguous()
                                                          : torch::Tensor();
  const auto frames = static_cast<uint64_t>(hidden.size(0));
  if (hidden.dim() != 2 || (ctc.defined() && (ctc.dim() != 2 || ctc.size(0) != hidden.size(0))))
    throw std::logic_error(path + ": record " + std::to_string(record_index) + ": hidden frames must be [frames, dim], "
                           "CTC logits [frames, units]");
  const size_t hidden_bytes = static_cast<size_t>(hidden.numel()) * sizeof(float);
  const size_t ctc_bytes = ctc.defined() ? static_cast<size_t>(ctc.numel()) * sizeof(float) : 0;
  uint64_t payload_hash = xxh64(hidden.data_ptr(), hidden_bytes, 0);
  if (ctc_bytes) payload_hash = xxh64(ctc.data_ptr(), ctc_bytes, payload_hash);

  char header[kEncodingHeaderSize];
  std::memcpy(header, kMagic, 8);
  put_u32(header + 8, kEncoderCacheFormatVersion);
  put_u32(header + 12, 0);
  put_u64(header + 16, static_cast<uint64_t>(record_index));
  put_u64(header + 24, frames);
  put_u64(header + 32, static_cast<uint64_t>(hidden.size(1)));
  put_u64(header + 40, ctc.defined() ? static_cast<uint64_t>(ctc.size(1)) : 0);
  put_u64(header + 48, input_hash);
  put_u64(header + 56, payload_hash);
  put_u32(header + 64, data::crc32c(header, 64));

  std::error_code error;
  fs::create_directories(fs::path(path).parent_path(), error);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* file = std::fopen(temp.c_str(), "wb");
  if (!file)
    throw EncoderCacheError("cannot create " + temp + ": " + errno_text() +
                            " (the encoder cache lives beside the shards: make the folder writable, or set "
                            "trainer.encoder_cache: off)");
  bool ok = write_all(file, header, sizeof header) && write_all(file, hidden.data_ptr(), hidden_bytes) &&
            (ctc_bytes == 0 || write_all(file, ctc.data_ptr(), ctc_bytes)) && std::fflush(file) == 0;
  const std::string why = ok ? "" : errno_text();
  ok = std::fclose(file) == 0 && ok;
  // Renamed only when whole: a reader sees the old file, none, or the new one.
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = why.empty() ? errno_text() : why;
    std::remove(temp.c_str());
    throw EncoderCacheError(path + ": record " + std::to_string(record_index) + ": writing failed: " + reason);
  }
}

CachedRead read_encoding(const std::string& path, int64_t record_index, uint64_t input_hash, int64_t hidden_dim,
                         int64_t ctc_dim, CachedEncoding* out) {
  require_little_endian();
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    if (errno == ENOENT) return CachedRead::Absent;
    throw damage(path, record_index, "cannot open: " + errno_text());
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(file, &std::fclose);
  std::error_code error;
  const uint64_t size = fs::file_size(path, error);
  if (error) throw damage(path, record_index, "cannot read its size: " + error.message());
  char header[kEncodingHeaderSize];
  if (size < kEncodingHeaderSize || std::fread(header, 1, sizeof header, file) != sizeof header)
    throw damage(path, record_index, "truncated: " + std::to_string(size) + " bytes, shorter than the " +
                                         std::to_string(kEncodingHeaderSize) + "-byte header");
  if (std::memcmp(header, kMagic, 8) != 0) throw damage(path, record_index, "not an encoder cache file (bad magic)");
  if (get_u32(header + 64) != data::crc32c(header, 64)) throw damage(path, record_index, "header checksum mismatch");
  if (get_u32(header + 8) != kEncoderCacheFormatVersion)
    throw damage(path, record_index, "format version " + std::to_string(get_u32(header + 8)) + ", expected " +
                                         std::to_string(kEncoderCacheFormatVersion));
  const auto stored_index = static_cast<int64_t>(get_u64(header + 16));
  if (stored_index != record_index)
    throw damage(path, record_index, "holds record " + std::to_string(stored_index));
  const uint64_t frames = get_u64(header + 24), hidden = get_u64(header + 32), ctc = get_u64(header + 40);
  if (frames > kMaxFrames)
    throw damage(path, record_index, std::to_string(frames) + " frames (at most " + std::to_string(kMaxFrames) + ")");
  if (hidden != static_cast<uint64_t>(hidden_dim) || ctc != static_cast<uint64_t>(ctc_dim))
    throw damage(path, record_index, "frames of dim " + std::to_string(hidden) + " with " + std::to_string(ctc) +
                                         " CTC logits, but the encoder gives " + std::to_string(hidden_dim) + " with " +
                                         std::to_string(ctc_dim));
  if (hidden > kMaxDim || ctc > kMaxDim) throw damage(path, record_index, "dims out of range");
  const uint64_t expected = kEncodingHeaderSize + frames * (hidden + ctc) * sizeof(float);
  if (size != expected)
    throw damage(path, record_index, std::string(size < expected ? "truncated: " : "too long: ") + std::to_string(size) +
                                         " bytes, expected " + std::to_string(expected) + " for " +
                                         std::to_string(frames) + " frames");
  if (get_u64(header + 48) != input_hash) return CachedRead::Stale;
  CachedEncoding read;
  read.hidden = torch::empty({static_cast<int64_t>(frames), hidden_dim}, torch::kFloat);
  const size_t hidden_bytes = static_cast<size_t>(frames * hidden * sizeof(float));
  if (std::fread(read.hidden.data_ptr(), 1, hidden_bytes, file) != hidden_bytes)
    throw damage(path, record_index, "short read of the hidden frames: " + errno_text());
  uint64_t payload_hash = xxh64(read.hidden.data_ptr(), hidden_bytes, 0);
  if (ctc > 0) {
    read.ctc_logits = torch::empty({static_cast<int64_t>(frames), ctc_dim}, torch::kFloat);
    const size_t ctc_bytes = static_cast<size_t>(frames * ctc * sizeof(float));
    if (std::fread(read.ctc_logits.data_ptr(), 1, ctc_bytes, file) != ctc_bytes)
      throw damage(path, record_index, "short read of the CTC logits: " + errno_text());
    payload_hash = xxh64(read.ctc_logits.data_ptr(), ctc_bytes, payload_hash);
  }
  if (payload_hash != get_u64(header + 56)) throw damage(path, record_index, "payload checksum mismatch");
  *out = std::move(read);
  return CachedRead::Found;
}

EncoderCacheStats& EncoderCacheStats::operator+=(const EncoderCacheStats& o) {
  hits += o.hits;
  misses += o.misses;
  stale += o.stale;
  return *this;
}

EncoderCache::EncoderCache(EncoderCacheKey key, int64_t hidden_dim, int64_t ctc_dim)
    : key_(std::move(key)), hidden_dim_(hidden_dim), ctc_dim_(ctc_dim) {}

EncoderCache::EncoderCache(EncoderCacheKey key, int64_t hidden_dim, jstip::nn::LoraLinear live_ctc_head)
    : key_(std::move(key)), hidden_dim_(hidden_dim), ctc_dim_(0), live_ctc_head_(std::move(live_ctc_head)) {
  if (!live_ctc_head_) throw std::logic_error("encoder cache: a live CTC head must be given");
}

void EncoderCache::ensure_manifest(const std::string& key_folder) {
  if (!manifests_.insert(key_folder).second) return;
  const fs::path manifest = fs::path(key_folder) / "manifest.json";
  if (fs::exists(manifest)) return;
  Json content = key_.inputs;
  content.set("key", Json::string(key_.id));
  content.set("hidden_dim", Json::integer(hidden_dim_));
  content.set("ctc_dim", Json::integer(ctc_dim_));  // 0 with a live head: only the trunk is stored
  std::error_code error;
  fs::create_directories(key_folder, error);
  const std::string temp = manifest.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp);
    out << content.dump(2) << "\n";
    out.close();  // flushes: a full disk shows here, before the rename installs the file
    if (!out) {
      std::remove(temp.c_str());
      throw EncoderCacheError("cannot write " + temp + ": " + errno_text());
    }
  }
  if (std::rename(temp.c_str(), manifest.c_str()) != 0) {
    const std::string why = errno_text();
    std::remove(temp.c_str());
    throw EncoderCacheError("cannot rename " + temp + " to " + manifest.string() + ": " + why);
  }
}

EncoderOutput EncoderCache::encode(graph::SpeechLLM& model, const data::Batch& batch, const std::vector<int64_t>& rows,
                                   const torch::Device& device) {
  if (rows.empty()) throw std::logic_error("encoder cache: no rows to encode");
  if (batch.shards.size() != batch.records.size() || batch.record_indices.size() != batch.records.size())
    throw std::logic_error("encoder cache: the batch does not say which shard record each row is (data::Batch::shards)");
  if (model.is_training() && model.spec_augment_on())
    throw std::logic_error("encoder cache: speech.spec_augment changes the encoder's input every training step");
  const bool pad = model.pad_30s();
  const torch::Tensor features = batch.features.to(torch::kFloat).contiguous();
  const torch::Tensor lengths = batch.feature_lengths.to(torch::kCPU).to(torch::kLong);
  const torch::Tensor covered =
      batch.covered_frames.defined() ? batch.covered_frames.to(torch::kCPU).to(torch::kLong) : lengths;

  const size_t count = rows.size();
  std::vector<CachedEncoding> found(count);
  std::vector<uint64_t> hashes(count);
  std::vector<std::string> paths(count);
  std::vector<int64_t> missing;  // positions in `rows`
  for (size_t i = 0; i < count; ++i) {
    const int64_t row = rows[i];
    const torch::Tensor read = read_features(features, lengths, row, pad);
    hashes[i] = input_hash(read, covered[row].item<int64_t>());
    paths[i] = encoding_path(batch.shards[size_t(row)], batch.record_indices[size_t(row)], key_.id);
    const CachedRead status =
        read_encoding(paths[i], batch.record_indices[size_t(row)], hashes[i], hidden_dim_, ctc_dim_, &found[i]);
    if (status == CachedRead::Found && found[i].hidden.size(0) > read.size(0))
      throw damage(paths[i], batch.record_indices[size_t(row)],
                   std::to_string(found[i].hidden.size(0)) + " encoder frames from " + std::to_string(read.size(0)) +
                       " input frames");
    if (status == CachedRead::Found) {
      ++stats_.hits;
      continue;
    }
    if (status == CachedRead::Stale) {
      ++stats_.stale;
      spdlog::warn("encoder cache: {} was made from other features (the shard changed?); recomputing it", paths[i]);
    }
    missing.push_back(static_cast<int64_t>(i));
  }

  if (!missing.empty()) {
    std::vector<int64_t> miss_rows;
    for (int64_t i : missing) miss_rows.push_back(rows[size_t(i)]);
    const auto index = torch::tensor(miss_rows, torch::kLong);
    const torch::Tensor miss_lengths = lengths.index_select(0, index);
    torch::Tensor miss_features = features.index_select(0, index);
    if (!pad) miss_features = miss_features.narrow(1, 0, miss_lengths.max().item<int64_t>());
    EncoderOutput encoded;
    {
      torch::NoGradGuard no_grad;
      Fp32Scope fp32;
      EvalScope eval(model.encoder());
      encoded = model.run_encoder(miss_features.to(device), miss_lengths.to(device),
                                  covered.index_select(0, index).to(device));
    }
    const torch::Tensor hidden = encoded.hidden.to(torch::kCPU).to(torch::kFloat);
    const torch::Tensor ctc =
        encoded.ctc_logits.defined() ? encoded.ctc_logits.to(torch::kCPU).to(torch::kFloat) : torch::Tensor();
    const int64_t got_ctc = ctc.defined() && !live_ctc_head_ ? ctc.size(-1) : 0;
    if (hidden.size(-1) != hidden_dim_ || got_ctc != ctc_dim_)
      throw std::logic_error("encoder cache " + key_.id + ": the encoder gave frames of dim " +
                             std::to_string(hidden.size(-1)) + " with " + std::to_string(got_ctc) +
                             " CTC logits, expected " + std::to_string(hidden_dim_) + " with " +
                             std::to_string(ctc_dim_) + " (encoder.output_dim, encoder.ctc_vocab)");
    const torch::Tensor out_lengths = encoded.lengths.to(torch::kCPU).to(torch::kLong);
    for (size_t j = 0; j < missing.size(); ++j) {
      const auto i = size_t(missing[j]);
      const int64_t frames = out_lengths[int64_t(j)].item<int64_t>();
      CachedEncoding encoding;
      encoding.hidden = hidden[int64_t(j)].narrow(0, 0, frames).contiguous();
      if (ctc.defined() && !live_ctc_head_) encoding.ctc_logits = ctc[int64_t(j)].narrow(0, 0, frames).contiguous();
      ensure_manifest(fs::path(paths[i]).parent_path().parent_path().string());
      write_encoding(paths[i], batch.record_indices[size_t(rows[i])], hashes[i], encoding);
      found[i] = std::move(encoding);
      ++stats_.misses;
    }
  }

  // As run_encoder returns them: padded to the longest row, zero beyond each row.
  int64_t longest = 0;
  for (const auto& f : found) longest = std::max(longest, f.hidden.size(0));
  auto hidden = torch::zeros({int64_t(count), longest, hidden_dim_}, torch::kFloat);
  torch::Tensor ctc = ctc_dim_ > 0 ? torch::zeros({int64_t(count), longest, ctc_dim_}, torch::kFloat) : torch::Tensor();
  auto out_lengths = torch::empty({int64_t(count)}, torch::kLong);
  for (size_t i = 0; i < count; ++i) {
    const int64_t frames = found[i].hidden.size(0);
    hidden[int64_t(i)].narrow(0, 0, frames).copy_(found[i].hidden);
    if (ctc.defined()) ctc[int64_t(i)].narrow(0, 0, frames).copy_(found[i].ctc_logits);
    out_lengths[int64_t(i)] = frames;
  }
  hidden = hidden.to(device);
  if (live_ctc_head_) {
    // The head trains: run it on the cached trunk, zero beyond each row as run_encoder gives it.
    const auto valid = torch::arange(longest, out_lengths.options()).unsqueeze(0) < out_lengths.unsqueeze(1);
    ctc = live_ctc_head_->forward(hidden).masked_fill(valid.to(device).logical_not().unsqueeze(-1), 0);
    return {hidden, out_lengths.to(device), ctc};
  }
  return {hidden, out_lengths.to(device), ctc.defined() ? ctc.to(device) : ctc};
}

StageEncoderCache encoder_cache_for_stage(graph::SpeechLLM& model, const Config& config, const std::string& stage,
                                          const std::shared_ptr<EncoderCache>& current) {
  const std::string mode = config.get_string("trainer.encoder_cache", "auto");
  if (mode != "auto" && mode != "off")
    throw ConfigError(config.where("trainer.encoder_cache") + ": trainer.encoder_cache must be auto or off, not '" +
                      mode + "'");
  if (mode == "off") {
    spdlog::info("stage '{}': encoder cache off (trainer.encoder_cache: off)", stage);
    return {};
  }
  int64_t training = 0, total = 0;
  for (const auto& p : model.encoder().parameters()) {
    ++total;
    if (p.requires_grad()) ++training;
  }
  jstip::nn::LoraLinear head = training > 0 ? live_ctc_head(model) : nullptr;
  if (training > 0 && !head) {
    spdlog::info("stage '{}': encoder cache off: the encoder trains ({} of {} parameter tensors)", stage, training, total);
    return {};
  }
  if (model.spec_augment_on()) {
    // Training steps would run the frozen encoder live in train mode, where a
    // BatchNorm's running statistics still move: dev outputs cached at the
    // stage's start would go stale.
    spdlog::info("stage '{}': encoder cache off: speech.spec_augment changes the encoder's input every step", stage);
    return {};
  }
  EncoderCacheKey key = head ? encoder_trunk_cache_key(model, config) : encoder_cache_key(model, config);
  StageEncoderCache out;
  if (current && current->key().id == key.id)
    out.cache = current;
  else if (head)
    out.cache = std::make_shared<EncoderCache>(std::move(key), model.encoder().output_dim(), head);
  else
    out.cache = std::make_shared<EncoderCache>(std::move(key), model.encoder().output_dim(),
                                               config.get_int("encoder.ctc_vocab", 0));
  out.for_training = true;
  if (head)
    spdlog::info("stage '{}': the encoder is frozen but for its CTC head: the trunk's outputs are computed once per "
                 "utterance and read from encoder-cache/{} beside the shards (eval mode, no dropout); the head runs live",
                 stage, out.cache->key().id);
  else
    spdlog::info("stage '{}': the encoder is frozen: its outputs are computed once per utterance and read from "
                 "encoder-cache/{} beside the shards; it runs in eval mode (no dropout)",
                 stage, out.cache->key().id);
  return out;
}

void EncoderCacheEpochLog::add(const std::string& source, int64_t epoch, const EncoderCacheStats& counts,
                               int64_t encoder_calls) {
  auto it = open_.find(source);
  if (it != open_.end() && it->second.epoch != epoch) {
    EncoderCacheEpoch& ended = it->second;
    ended.complete = true;
    if (ended.stats.hits + ended.stats.misses + ended.encoder_calls > 0)  // a text-only source does not touch it
      spdlog::info("encoder cache: source '{}' epoch {}: {} hits, {} misses, {} encoder calls", ended.source,
                   ended.epoch, ended.stats.hits, ended.stats.misses, ended.encoder_calls);
    done_.push_back(ended);
    open_.erase(it);
  }
  EncoderCacheEpoch& entry = open_[source];
  entry.source = source;
  entry.epoch = epoch;
  entry.stats += counts;
  entry.encoder_calls += encoder_calls;
}

void EncoderCacheEpochLog::finish() {
  for (auto& [source, entry] : open_) {
    if (entry.stats.hits + entry.stats.misses + entry.encoder_calls > 0)
      spdlog::info("encoder cache: source '{}' epoch {} (so far): {} hits, {} misses, {} encoder calls", source,
                   entry.epoch, entry.stats.hits, entry.stats.misses, entry.encoder_calls);
    done_.push_back(entry);
  }
  open_.clear();
}

}  // namespace jstip::train
