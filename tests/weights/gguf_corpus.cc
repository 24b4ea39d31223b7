// The GGUF fuzz seeds (fuzz/corpus/gguf/): written by this test when
// JSTIP_WRITE_GGUF_CORPUS names a folder,
//   JSTIP_WRITE_GGUF_CORPUS=fuzz/corpus/gguf build/bin/jstip_weights_tests --gtest_filter='GgufCorpus.*'
// and otherwise checked: each committed seed must still parse (or, for the
// truncated ones, be refused), so the corpus keeps reaching past the header.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "jstip/weights/gguf.h"
#include "tests/weights/gguf_bytes.h"

namespace gg = jstip::gguf;
using gg::Value;
using gg::ValueType;

namespace {

struct Seed {
  std::string name;
  std::string bytes;
  bool parses;
};

std::string written(const std::vector<std::pair<std::string, Value>>& metadata,
                    const std::vector<gg::WriteTensor>& tensors, uint64_t alignment) {
  const auto path = std::filesystem::temp_directory_path() / ("jstip_gguf_seed_" + std::to_string(::getpid()) + ".gguf");
  gg::write_file(path.string(), metadata, tensors, alignment);
  std::string bytes = gg::test::read_bytes(path.string());
  std::filesystem::remove(path);
  return bytes;
}

std::vector<Seed> seeds() {
  const std::vector<std::pair<std::string, Value>> metadata = {
      {"general.architecture", Value::of_string("llama")},
      {"llama.block_count", Value::of_integer(ValueType::U32, 2)},
      {"u8", Value::of_integer(ValueType::U8, 200)},
      {"i8", Value::of_integer(ValueType::I8, -3)},
      {"u16", Value::of_integer(ValueType::U16, 60000)},
      {"i16", Value::of_integer(ValueType::I16, -300)},
      {"i32", Value::of_integer(ValueType::I32, -70000)},
      {"u64", Value::of_integer(ValueType::U64, 1ll << 40)},
      {"i64", Value::of_integer(ValueType::I64, -(1ll << 40))},
      {"f32", Value::of_real(ValueType::F32, 1e-5)},
      {"f64", Value::of_real(ValueType::F64, 1e5)},
      {"bool", Value::of_bool(true)},
      {"tokenizer.ggml.tokens", Value::of_strings({"<|endoftext|>", "a", "\xc4\xa0" "b"})},
      {"tokenizer.ggml.token_type", Value::of_integers(ValueType::I32, {3, 1, 1})},
      {"tokenizer.ggml.scores", Value::of_reals(ValueType::F32, {0, -1, -2})},
      {"flags", Value::of_integers(ValueType::Bool, {1, 0})},
  };
  const std::vector<gg::WriteTensor> tensors = {
      {"token_embd.weight", torch::linspace(-1, 1, 96).view({3, 32})},
      {"blk.0.attn_norm.weight", torch::ones({32}, torch::kFloat16)},
      {"blk.0.ffn_up.weight", torch::linspace(-2, 2, 64).view({2, 32}).to(torch::kBFloat16)},
  };
  const std::string every = written(metadata, tensors, 32);
  std::vector<Seed> out = {
      {"metadata-every-type.gguf", every, true},
      {"tensors-aligned-64.gguf", written({{"general.architecture", Value::of_string("llama")}}, tensors, 64), true},
      {"truncated-in-metadata.gguf", every.substr(0, every.find("<|endoftext|>") + 5), false},
      {"truncated-in-tensor-infos.gguf", every.substr(0, every.find("blk.0.ffn_up") + 20), false},
  };
  // Types jstip lists but does not read (Q6_K, an unknown one) beside one it reads.
  out.push_back({"unsupported-types.gguf",
                 gg::test::fake_file(gg::test::kv_string("general.architecture", "llama"), 1,
                                     {{"q6", {256, 2}, 14, 0}, {"odd", {7}, 77, 448}, {"ok", {4}, 0, 480}},
                                     std::string(496, '\x11')),
                 true});
  return out;
}

}  // namespace

TEST(GgufCorpus, SeedsParseAsIntended) {
  const std::string corpus = std::string(JSTIP_SOURCE_DIR) + "/fuzz/corpus/gguf/";
  const char* write_to = std::getenv("JSTIP_WRITE_GGUF_CORPUS");
  for (const auto& seed : seeds()) {
    SCOPED_TRACE(seed.name);
    if (write_to) gg::test::write_bytes(std::string(write_to) + "/" + seed.name, seed.bytes);
    const std::string path = corpus + seed.name;
    ASSERT_TRUE(std::filesystem::exists(path)) << "run with JSTIP_WRITE_GGUF_CORPUS=fuzz/corpus/gguf to write it";
    EXPECT_EQ(gg::test::read_bytes(path), seed.bytes) << "the committed seed differs from what the writer makes";
    if (seed.parses) {
      gg::GgufFile f(path);
      EXPECT_FALSE(f.entries().empty());
    } else {
      EXPECT_THROW(gg::GgufFile{path}, jstip::weights::WeightsError);
    }
  }
}
