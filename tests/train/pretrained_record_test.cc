// What a checkpoint records of the files outside it: XXH64 and tensor hashes,
// pretrained file records (absolute path, size, CRC-32C) and their checks with
// the messages decoding shows, sources.json, which weights a checkpoint leaves
// to a pretrained file and how loading checks them, and the tokenizer copy.
#include "host/train/pretrained_record.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>

#include "host/data/crc32c.h"
#include "host/data/chat_template.h"
#include "host/data/tokenizer.h"
#include "host/train/checkpoint.h"
#include "host/train/checkpoint_sources.h"
#include "host/train/tensor_hash.h"
#include "host/train/tokenizer_copy.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;
using namespace jstip::train;

fs::path scratch(const std::string& name) {
  auto dir = fs::path(JSTIP_BINARY_DIR) / "test_scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Xxh64, KnownValues) {
  // The reference implementation's values (xxhsum -H64, python xxhash).
  EXPECT_EQ(xxh64("", 0, 0), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(xxh64("a", 1, 0), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(xxh64("abc", 3, 0), 0x44BC2CF5AD770999ULL);
  const std::string fox = "The quick brown fox jumps over the lazy dog";  // 32-byte lanes, 8, then 3 bytes
  EXPECT_EQ(xxh64(fox.data(), fox.size(), 0), 0x0B242D361FDA71BCULL);
  const std::string spam = "Nobody inspects the spammish repetition";  // lanes, then 4 + 3 bytes
  EXPECT_EQ(xxh64(spam.data(), spam.size(), 0), 0xFBCEA83C8A378BF1ULL);
}

TEST(TensorHash, EqualOnlyForEqualBytesDtypeAndShape) {
  torch::manual_seed(0);
  const auto t = torch::randn({4, 6});
  EXPECT_EQ(tensor_hash(t), tensor_hash(t.clone()));
  EXPECT_EQ(tensor_hash(t.t().contiguous().t()), tensor_hash(t));  // layout does not matter, values do
  auto flipped = t.clone();
  reinterpret_cast<uint32_t*>(flipped.data_ptr())[7] ^= 1u;  // one bit of one element
  EXPECT_NE(tensor_hash(flipped), tensor_hash(t));
  EXPECT_NE(tensor_hash(t.reshape({6, 4})), tensor_hash(t));
  EXPECT_NE(tensor_hash(t.view(torch::kInt32)), tensor_hash(t));
  EXPECT_EQ(parse_hash_hex(hash_hex(tensor_hash(t))), tensor_hash(t));
  EXPECT_THROW(parse_hash_hex("12ab"), std::invalid_argument);
}

TEST(PretrainedRecord, FileRecordsPathSizeAndCrc) {
  auto dir = scratch("pretrained_record_file");
  write(dir / "base.gguf", "weights of a base model");
  const PretrainedRecord r = record_pretrained("llm.pretrained", (dir / "base.gguf").string());
  EXPECT_EQ(r.key, "llm.pretrained");
  EXPECT_EQ(r.path, (dir / "base.gguf").string());
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(r.files[0].name, "");
  EXPECT_EQ(r.files[0].size, 23);
  EXPECT_EQ(r.files[0].crc32c, data::crc32c("weights of a base model", 23));
  EXPECT_NO_THROW(check_pretrained(r, r.path, "ckpt"));

  // JSON round trip.
  const PretrainedRecord back = pretrained_record_from_json(to_json(r), "sources.json");
  EXPECT_EQ(back.path, r.path);
  EXPECT_EQ(back.files[0].crc32c, r.files[0].crc32c);
  EXPECT_EQ(back.files[0].size, r.files[0].size);
}

TEST(PretrainedRecord, MessagesNameTheFileItsRecordAndWhatChanged) {
  auto dir = scratch("pretrained_record_messages");
  write(dir / "base.gguf", "weights of a base model");
  const PretrainedRecord r = record_pretrained("llm.pretrained", (dir / "base.gguf").string());
  const std::string crc = crc32c_hex(r.files[0].crc32c);
  const std::string needs =
      "checkpoint runs/x/step-1 needs the frozen base 'llm.pretrained' = " + r.path + " (size 23, crc32c " + crc + "): ";

  fs::rename(dir / "base.gguf", dir / "moved.gguf");
  std::string what = message_of([&] { check_pretrained(r, r.path, "runs/x/step-1"); });
  EXPECT_NE(what.find(needs + "file not found"), std::string::npos) << what;
  EXPECT_NE(what.find("llm.pretrained=NEWPATH"), std::string::npos) << what;
  EXPECT_NE(what.find("jstip export runs/x/step-1 --out DIR"), std::string::npos) << what;

  // The file at its new place passes; a different one is named with what differs.
  EXPECT_NO_THROW(check_pretrained(r, (dir / "moved.gguf").string(), "runs/x/step-1"));
  write(dir / "other.gguf", "weights of another model");
  what = message_of([&] { check_pretrained(r, (dir / "other.gguf").string(), "runs/x/step-1"); });
  EXPECT_NE(what.find(needs + "the given llm.pretrained=" + (dir / "other.gguf").string() + ": changed (size now 24)"),
            std::string::npos) << what;

  // Same size, other bytes (and a newer modification time): the CRC says it, not a stale cache.
  fs::rename(dir / "moved.gguf", dir / "base.gguf");
  EXPECT_NO_THROW(check_pretrained(r, r.path, "ckpt"));
  write(dir / "base.gguf", "weights of a base mode!");
  fs::last_write_time(dir / "base.gguf", fs::last_write_time(dir / "base.gguf") + std::chrono::seconds(5));
  const uint32_t now = data::crc32c("weights of a base mode!", 23);
  what = message_of([&] { check_pretrained(r, r.path, "runs/x/step-1"); });
  EXPECT_NE(what.find(needs + "changed (crc32c now " + crc32c_hex(now) + ")"), std::string::npos) << what;
  EXPECT_EQ(file_crc32c((dir / "base.gguf").string()), now);

  what = message_of([&] { check_pretrained(r, "", "runs/x/step-1"); });
  EXPECT_NE(what.find(needs + "the config sets no llm.pretrained"), std::string::npos) << what;
  what = message_of([&] { check_pretrained(r, r.path, "c", "the sizes of"); });
  EXPECT_NE(what.find("checkpoint c needs the sizes of 'llm.pretrained'"), std::string::npos) << what;
}

TEST(PretrainedRecord, FolderRecordsTheFilesWeightsAndSizesComeFrom) {
  auto dir = scratch("pretrained_record_folder");
  fs::create_directories(dir / "llm");
  write(dir / "llm" / "config.json", "{}");
  write(dir / "llm" / "model.safetensors", "tensors");
  write(dir / "llm" / "README.md", "not part of the model");
  const PretrainedRecord r = record_pretrained("llm.pretrained", (dir / "llm").string());
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].name, "config.json");
  EXPECT_EQ(r.files[1].name, "model.safetensors");
  write(dir / "llm" / "README.md", "edited");  // not recorded: no effect
  EXPECT_NO_THROW(check_pretrained(r, r.path, "ckpt"));

  fs::copy(dir / "llm", dir / "elsewhere", fs::copy_options::recursive);
  EXPECT_NO_THROW(check_pretrained(r, (dir / "elsewhere").string(), "ckpt"));
  fs::remove(dir / "elsewhere" / "model.safetensors");
  const std::string what = message_of([&] { check_pretrained(r, (dir / "elsewhere").string(), "ckpt"); });
  EXPECT_NE(what.find("= " + r.path + "/model.safetensors (size 7, crc32c "), std::string::npos) << what;
  EXPECT_NE(what.find("the given llm.pretrained=" + (dir / "elsewhere").string() + ": model.safetensors: file not found"),
            std::string::npos) << what;

  EXPECT_NE(message_of([&] { record_pretrained("encoder.pretrained", (dir / "nowhere").string()); })
                .find("encoder.pretrained = " + (dir / "nowhere").string() + ": no such file or folder"),
            std::string::npos);
}

TEST(PretrainedRecord, MalformedRecordsAreRefusedByField) {
  const std::string origin = "ckpt/sources.json";
  auto parse = [&](const std::string& text) {
    return message_of([&] { pretrained_record_from_json(Json::parse(text), origin); });
  };
  EXPECT_NE(parse(R"({"key": "llm.pretrained", "path": "relative/x", "files": [{"name": "", "size": 1, "crc32c": "0000000a"}]})")
                .find("ckpt/sources.json: path: expected an absolute path"),
            std::string::npos);
  EXPECT_NE(parse(R"({"key": "llm.pretrained", "path": "/x", "files": [{"name": "../up", "size": 1, "crc32c": "0000000a"}]})")
                .find("llm.pretrained.files[0].name"),
            std::string::npos);
  EXPECT_NE(parse(R"({"key": "llm.pretrained", "path": "/x", "files": [{"name": "", "size": 1, "crc32c": "XYZ"}]})")
                .find("llm.pretrained.files[0].crc32c: expected 8 lowercase hex digits"),
            std::string::npos);
  EXPECT_NE(parse(R"({"key": "llm.pretrained", "path": "/x", "files": []})").find("files: expected a non-empty list"),
            std::string::npos);
}

// A speech-LLM stand-in with the slots' names.
struct TwoSlots : torch::nn::Module {
  TwoSlots() {
    llm = register_module("llm", torch::nn::Linear(8, 8));
    projector = register_module("projector", torch::nn::Linear(8, 2));
  }
  torch::nn::Linear llm{nullptr}, projector{nullptr};
};

CheckpointSources sources_with_base(TwoSlots& model, const fs::path& base_file) {
  CheckpointSources sources;
  SlotBase base;
  base.slot = "llm";
  base.pretrained = record_pretrained("llm.pretrained", base_file.string());
  base.architecture_in_config = true;
  for (const auto& p : model.llm->named_parameters()) base.tensor_hashes["llm." + p.key()] = tensor_hash(p.value());
  sources.bases.push_back(base);
  return sources;
}

void train_step(TwoSlots& model, torch::optim::AdamW& optimizer) {
  optimizer.zero_grad();
  model.projector(model.llm(torch::randn({3, 8}))).sum().backward();
  optimizer.step();
}

TEST(CheckpointSources, FrozenBaseIsLeftToItsFileAndCheckedOnLoad) {
  auto dir = scratch("ckpt_frozen_base");
  write(dir / "base.bin", "the base");
  torch::manual_seed(1);
  TwoSlots model;
  const CheckpointSources sources = sources_with_base(model, dir / "base.bin");
  model.llm->weight.set_requires_grad(false);
  model.llm->bias.set_requires_grad(false);
  torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(0.1));
  train_step(model, optimizer);
  Json state = Json::object();
  state.set("step", Json::integer(1));
  const std::string folder = save_checkpoint((dir / "ckpts").string(), 1, model, &optimizer, {state, "seed: 1\n", &sources});

  const auto stored = safetensors::load_file(folder + "/model.safetensors");
  EXPECT_EQ(stored.count("llm.weight"), 0u);
  EXPECT_EQ(stored.count("projector.weight"), 1u);
  const auto manifest = read_manifest(folder);
  ASSERT_TRUE(manifest);
  ASSERT_EQ(manifest->slots.size(), 1u);
  EXPECT_FALSE(manifest->slots[0].weights_inside);
  EXPECT_EQ(manifest->slots[0].omitted.size(), 2u);
  EXPECT_EQ(manifest->slots[0].pretrained.path, (dir / "base.bin").string());

  // Loading takes the omitted weights from the model as composed (from the file): equal -> loads.
  TwoSlots same;
  {
    torch::NoGradGuard no_grad;
    same.llm->weight.copy_(model.llm->weight);
    same.llm->bias.copy_(model.llm->bias);
  }
  EXPECT_NO_THROW(load_checkpoint(folder, same, nullptr));
  EXPECT_TRUE(torch::equal(same.projector->weight, model.projector->weight));
  // A base that differs from what training started from is named, with the file.
  TwoSlots other;
  const std::string what = message_of([&] { load_checkpoint(folder, other, nullptr); });
  EXPECT_NE(what.find("leaves 'llm.bias' to llm.pretrained = " + (dir / "base.bin").string()), std::string::npos)
      << what;
  EXPECT_NE(what.find("other values for it than training started from"), std::string::npos) << what;
}

TEST(CheckpointSources, TrainedOrChangedWeightsAreStored) {
  auto dir = scratch("ckpt_trained_base");
  write(dir / "base.bin", "the base");
  torch::manual_seed(2);
  TwoSlots model;
  const CheckpointSources sources = sources_with_base(model, dir / "base.bin");
  torch::optim::AdamW optimizer(model.parameters(), torch::optim::AdamWOptions(0.1));
  train_step(model, optimizer);  // everything trains
  Json state = Json::object();
  state.set("step", Json::integer(1));
  std::string folder = save_checkpoint((dir / "a").string(), 1, model, &optimizer, {state, "", &sources});
  EXPECT_EQ(safetensors::load_file(folder + "/model.safetensors").count("llm.weight"), 1u);
  EXPECT_TRUE(read_manifest(folder)->slots[0].weights_inside);
  EXPECT_TRUE(read_manifest(folder)->slots[0].omitted.empty());

  // Frozen, never stepped, but changed in place (as merging a LoRA adapter does): stored.
  TwoSlots merged;
  const CheckpointSources merged_sources = sources_with_base(merged, dir / "base.bin");
  {
    torch::NoGradGuard no_grad;
    merged.llm->weight.add_(0.5);
  }
  folder = save_checkpoint((dir / "b").string(), 1, merged, nullptr, {state, "", &merged_sources});
  const auto manifest = read_manifest(folder);
  // The bias (8 of 72 floats) is unchanged, too little to leave out: the whole slot is stored.
  EXPECT_TRUE(manifest->slots[0].weights_inside);
  EXPECT_EQ(safetensors::load_file(folder + "/model.safetensors").count("llm.bias"), 1u);
}

TEST(CheckpointSources, ManifestRoundTripsAndRefusesWhatItCannotRead) {
  CheckpointManifest m;
  TokenizerCopy copy;
  copy.file = "tokenizer.json";
  copy.source = "/models/x.gguf";
  copy.converted = true;
  copy.fingerprint = {0x1234abcdu, 49152};
  m.tokenizer = copy;
  SlotSource slot;
  slot.slot = "llm";
  slot.pretrained = {"llm.pretrained", "/models/x.gguf", {{"", 10, 7}}};
  slot.weights_inside = false;
  slot.omitted["llm.model.norm.weight"] = 0x0123456789abcdefULL;
  m.slots.push_back(slot);
  const CheckpointManifest back = manifest_from_json(Json::parse(to_json(m).dump()), "x");
  ASSERT_TRUE(back.tokenizer);
  EXPECT_EQ(back.tokenizer->fingerprint.crc32c, 0x1234abcdu);
  EXPECT_TRUE(back.tokenizer->converted);
  ASSERT_EQ(back.slots.size(), 1u);
  EXPECT_TRUE(back.slots[0].needs_file());
  EXPECT_EQ(back.slots[0].omitted.at("llm.model.norm.weight"), 0x0123456789abcdefULL);

  Json j = to_json(m);
  j.set("format", Json::integer(2));
  EXPECT_NE(message_of([&] { manifest_from_json(j, "ckpt/sources.json"); }).find("ckpt/sources.json: format"),
            std::string::npos);
  Json bad_slot = Json::parse(to_json(m).dump());
  const std::string text = bad_slot.dump();
  const std::string renamed = std::string(text).replace(text.find("\"llm\":{"), 7, "\"decoder\":{");
  EXPECT_NE(message_of([&] { manifest_from_json(Json::parse(renamed), "s"); }).find("slots.decoder"), std::string::npos);
}

TEST(TokenizerCopy, SentencePieceModelIsCopiedAsIs) {
  auto dir = scratch("tokenizer_copy_sp");
  write(dir / "text.txt", "the cat sat on the mat\na doctor gave her aspirin\nwe walked to the river today\n");
  data::TokenizerTrainOptions options;
  options.inputs = {(dir / "text.txt").string()};
  options.model_prefix = (dir / "tok").string();
  options.vocab_size = 300;
  options.hard_vocab_limit = false;
  data::train_tokenizer(options);
  const TokenizerCopy copy = copy_tokenizer((dir / "tok.model").string(), (dir / "copy").string());
  EXPECT_EQ(copy.file, "tok.model");
  EXPECT_FALSE(copy.converted);
  const auto original = data::load_tokenizer((dir / "tok.model").string());
  EXPECT_EQ(copy.fingerprint.crc32c, data::fingerprint_tokenizer(*original).crc32c);  // the same bytes
  const auto copied = data::load_tokenizer((dir / "copy" / "tok.model").string());
  EXPECT_EQ(copied->encode("the river gave her a cat"), original->encode("the river gave her a cat"));
}

TEST(TokenizerCopy, GgufTokenizerIsWrittenAsTokenizerJsonWithTheSameIds) {
  const std::string gguf = std::string(JSTIP_SOURCE_DIR) + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(gguf)) GTEST_SKIP() << gguf << " missing (scripts/install-deps.sh installs it)";
  auto dir = scratch("tokenizer_copy_gguf");
  const TokenizerCopy copy = copy_tokenizer(gguf, (dir / "tokenizer").string());
  EXPECT_TRUE(copy.converted);
  EXPECT_EQ(copy.file, "tokenizer.json");
  EXPECT_LT(fs::file_size(dir / "tokenizer" / "tokenizer.json"), 10u << 20);  // not the 98 MB model
  const auto original = data::load_tokenizer(gguf);
  const auto copied = data::load_tokenizer((dir / "tokenizer" / "tokenizer.json").string());
  EXPECT_EQ(copied->vocab_size(), original->vocab_size());
  EXPECT_EQ(copied->bos_id(), original->bos_id());
  EXPECT_EQ(copied->eos_id(), original->eos_id());
  EXPECT_EQ(copied->pad_id(), original->pad_id());
  EXPECT_EQ(copied->expects_bos(), original->expects_bos());
  for (const std::string text : {"Dr. Smith gave her 200 mg of aspirin.", "<|im_start|>user\nHi 12345<|im_end|>",
                                 "  spaces\tand\nnewlines ünïcödé 日本語 🙂"})
    EXPECT_EQ(copied->encode(text), original->encode(text)) << text;
  // The chat template comes along (prompt.format: chat reads it beside tokenizer.json).
  EXPECT_EQ(data::load_chat_template((dir / "tokenizer").string()).user_turn("x"),
            data::load_chat_template(gguf).user_turn("x"));
  EXPECT_EQ(copy.fingerprint.pieces, original->vocab_size());
}

}  // namespace
