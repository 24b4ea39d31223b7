// open_tensor_source(): one interface over GGUF files, safetensors files and
// Hugging Face folders (one file or shards), every error a WeightsError that
// names the path.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "jstip/safetensors.h"
#include "jstip/weights/gguf.h"
#include "jstip/weights/tensor_source.h"

namespace fs = std::filesystem;
namespace st = jstip::safetensors;
using jstip::weights::open_tensor_source;
using jstip::weights::WeightsError;

namespace {

fs::path scratch_root() { return fs::temp_directory_path() / ("jstip_tensor_source_test_" + std::to_string(::getpid())); }
struct RemoveScratch : ::testing::Environment {
  void TearDown() override { fs::remove_all(scratch_root()); }
};
const auto* const remove_scratch = ::testing::AddGlobalTestEnvironment(new RemoveScratch);

fs::path scratch(const std::string& name) {
  const fs::path dir = scratch_root() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

st::TensorMap sample() {
  return {{"a.weight", torch::arange(6, torch::kFloat32).view({2, 3})},
          {"b.weight", torch::ones({4}, torch::kBFloat16)},
          {"c.index", torch::arange(5, torch::kInt64)}};
}

void expect_error(const std::string& path, const std::string& what) {
  try {
    auto source = open_tensor_source(path);
    for (const auto& e : source->entries()) source->read(e.name, torch::kFloat32);
    ADD_FAILURE() << "opened '" << path << "'";
  } catch (const WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

void check_sample_source(const jstip::weights::TensorSource& source) {
  EXPECT_EQ(source.format(), "safetensors");
  const auto entries = source.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "a.weight");
  EXPECT_EQ(entries[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(entries[0].type, "F32");
  EXPECT_EQ(source.entry("b.weight").type, "BF16");
  EXPECT_TRUE(source.contains("c.index"));
  EXPECT_FALSE(source.contains("d"));
  EXPECT_TRUE(torch::equal(source.read("a.weight", torch::kFloat32), sample()["a.weight"]));
  EXPECT_EQ(source.read("a.weight", torch::kFloat16).scalar_type(), torch::kFloat16);
  EXPECT_EQ(source.read("b.weight", torch::ScalarType::Undefined).scalar_type(), torch::kBFloat16);
  EXPECT_EQ(source.read("c.index", torch::ScalarType::Undefined).scalar_type(), torch::kInt64);  // kept
  EXPECT_TRUE(torch::equal(source.read("c.index", torch::ScalarType::Undefined), sample()["c.index"]));
  try {
    source.read("d", torch::kFloat32);
    ADD_FAILURE() << "read a missing tensor";
  } catch (const WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find(source.path()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'d'"), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(TensorSource, OpensSafetensorsFilesAndFolders) {
  const fs::path dir = scratch("safetensors");
  st::save_file((dir / "w.safetensors").string(), sample());
  check_sample_source(*open_tensor_source((dir / "w.safetensors").string()));

  st::save_directory((dir / "single").string(), sample());
  check_sample_source(*open_tensor_source((dir / "single").string()));

  st::save_directory((dir / "sharded").string(), sample(), 24);  // forces shards
  ASSERT_TRUE(fs::exists(dir / "sharded" / "model.safetensors.index.json"));
  auto sharded = open_tensor_source((dir / "sharded").string());
  check_sample_source(*sharded);
}

TEST(TensorSource, OpensGgufFiles) {
  const fs::path dir = scratch("gguf");
  const std::string path = (dir / "m.gguf").string();
  jstip::gguf::write_file(path, {{"general.architecture", jstip::gguf::Value::of_string("llama")}},
                          {{"blk.0.attn_q.weight", torch::arange(8, torch::kFloat32).view({2, 4})},
                           {"blk.0.attn_norm.weight", torch::ones({4}, torch::kFloat16)}});
  auto source = open_tensor_source(path);
  EXPECT_EQ(source->format(), "gguf");
  EXPECT_EQ(source->path(), path);
  ASSERT_EQ(source->entries().size(), 2u);
  EXPECT_EQ(source->entries()[0].name, "blk.0.attn_q.weight");  // file order
  EXPECT_EQ(source->entry("blk.0.attn_q.weight").shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(source->entry("blk.0.attn_norm.weight").type, "F16");
  EXPECT_TRUE(torch::equal(source->read("blk.0.attn_q.weight", torch::kFloat32),
                           torch::arange(8, torch::kFloat32).view({2, 4})));
  EXPECT_EQ(source->read("blk.0.attn_norm.weight", torch::kFloat32).scalar_type(), torch::kFloat32);
}

TEST(TensorSource, RefusesWhatItCannotOpenSayingWhatWasExpected) {
  const fs::path dir = scratch("errors");
  expect_error((dir / "missing.gguf").string(), "no such file or folder");
  expect_error((dir / "empty").string(), "no such file or folder");
  fs::create_directories(dir / "empty");
  expect_error((dir / "empty").string(), "model.safetensors or model.safetensors.index.json");
  std::ofstream(dir / "model.bin") << "x";  // a CTranslate2 file by its name: its reader refuses it
  expect_error((dir / "model.bin").string(), "header binary version: needs 4 bytes");
  std::ofstream(dir / "weights.bin") << "x";
  expect_error((dir / "weights.bin").string(), "expected a .gguf file, a .safetensors file, a CTranslate2 model.bin");

  // A broken safetensors file: the safetensors reader's error, as a WeightsError.
  std::ofstream(dir / "bad.safetensors") << "12345678";
  expect_error((dir / "bad.safetensors").string(), "header length");
  std::ofstream(dir / "bad.gguf") << "GGUF";
  expect_error((dir / "bad.gguf").string(), "version");

  // An index that puts a tensor in a shard that lacks it, or outside the folder.
  st::save_directory((dir / "lying").string(), sample(), 24);
  std::ofstream(dir / "lying" / "model.safetensors.index.json")
      << R"({"weight_map": {"a.weight": "model-00001-of-00003.safetensors", "zz": "model-00001-of-00003.safetensors"}})";
  expect_error((dir / "lying").string(), "'zz'");
  std::ofstream(dir / "lying" / "model.safetensors.index.json") << R"({"weight_map": {"a.weight": "../x.safetensors"}})";
  expect_error((dir / "lying").string(), "not a plain file name");
  std::ofstream(dir / "lying" / "model.safetensors.index.json") << R"({"weight_map": )";
  expect_error((dir / "lying").string(), "model.safetensors.index.json");
}
