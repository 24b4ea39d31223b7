// The CTranslate2 fuzz seeds (fuzz/corpus/ctranslate2/): written by this test
// when JSTIP_WRITE_CT2_CORPUS names a folder,
//   JSTIP_WRITE_CT2_CORPUS=fuzz/corpus/ctranslate2 build/bin/jstip_weights_tests --gtest_filter='Ctranslate2Corpus.*'
// and otherwise checked: each committed seed must still be what the builder
// (or CTranslate2's writer, for the copies of tests/weights/fixtures/ct2_*.bin)
// makes, and parse (or, for the broken ones, be refused), so the corpus keeps
// reaching every version's layout, the dequantization and the aliases.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "jstip/weights/ctranslate2.h"
#include "tests/weights/ct2_bytes.h"

namespace ct2 = jstip::ctranslate2;
using ct2::test::FakeVariable;
using ct2::test::model_bin;
using ct2::test::variable_of;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Seed {
  std::string name;
  std::string bytes;
  bool parses;
};

// Versions 1 to 3 store an item size where later ones store the type.
FakeVariable old_layout(FakeVariable v) {
  v.dtype = v.dtype == 0 ? 4 : v.dtype == 2 ? 2 : 1;
  return v;
}

std::vector<Seed> seeds() {
  const std::string fixtures = std::string(JSTIP_SOURCE_DIR) + "/tests/weights/fixtures/";
  const std::vector<FakeVariable> every = {
      variable_of("encoder/conv1/weight", torch::linspace(-1, 1, 12).view({2, 3, 2})),
      variable_of("encoder/conv1/bias", torch::tensor({0.5f, -0.25f}).to(torch::kFloat16)),
      variable_of("encoder/layer_norm/gamma", torch::tensor({1.5f, 2.0f}).to(torch::kBFloat16)),
      variable_of("decoder/linear/weight", torch::tensor({-127, 5, 0, 127, 64, -64}, torch::kInt8).view({2, 3})),
      variable_of("decoder/linear/weight_scale", torch::tensor({127.0f, 0.5f})),
      variable_of("encoder/q16/weight", torch::tensor({1000, -1000}, torch::kInt16)),
      variable_of("encoder/q16/weight_scale", torch::tensor(1000.0f)),
      variable_of("encoder/num_heads", torch::tensor(int16_t{6})),
      variable_of("decoder/ids", torch::tensor({3, -1}, torch::kInt32)),
      variable_of("decoder/alibi", torch::tensor(int8_t{0})),
  };
  const std::vector<std::pair<std::string, std::string>> aliases = {
      {"decoder/projection/weight", "decoder/linear/weight"}, {"decoder/tied", "decoder/projection/weight"}};
  const std::string v6 = model_bin(6, "WhisperSpec", 3, every, aliases);
  const std::vector<FakeVariable> old = {old_layout(variable_of("w", torch::tensor({1.0f, 2.0f}))),
                                         old_layout(variable_of("n", torch::tensor(int16_t{2}))),
                                         old_layout(variable_of("f", torch::tensor(int8_t{1})))};
  std::vector<Seed> out = {
      {"every-type-v6.bin", v6, true},
      {"version-1.bin", model_bin(1, "", 1, old), true},
      {"version-3-alias.bin", model_bin(3, "TransformerSpec", 1, old, {{"w2", "w"}}), true},
      {"version-4.bin", model_bin(4, "TransformerSpec", 2, {every[0], every[1], every[7]}, {{"tied", "encoder/conv1/weight"}}), true},
      {"truncated-in-data.bin", v6.substr(0, v6.find("decoder/ids") + 24), false},
      {"alias-to-missing.bin", model_bin(6, "S", 1, {every[0]}, {{"a", "nope"}}), false},
  };
  for (const char* copy : {"ct2_int8_float16.bin", "ct2_bfloat16.bin", "ct2_int16.bin"})
    out.push_back({copy, read_bytes(fixtures + copy), true});
  return out;
}

}  // namespace

TEST(Ctranslate2Corpus, SeedsParseAsIntended) {
  const std::string corpus = std::string(JSTIP_SOURCE_DIR) + "/fuzz/corpus/ctranslate2/";
  const char* write_to = std::getenv("JSTIP_WRITE_CT2_CORPUS");
  for (const auto& seed : seeds()) {
    SCOPED_TRACE(seed.name);
    if (write_to)
      std::ofstream(std::string(write_to) + "/" + seed.name, std::ios::binary | std::ios::trunc)
          .write(seed.bytes.data(), std::streamsize(seed.bytes.size()));
    const std::string path = corpus + seed.name;
    ASSERT_TRUE(std::filesystem::exists(path)) << "run with JSTIP_WRITE_CT2_CORPUS=fuzz/corpus/ctranslate2 to write it";
    EXPECT_EQ(read_bytes(path), seed.bytes) << "the committed seed differs from what the builder makes";
    if (seed.parses) {
      ct2::ModelBin f(path);
      EXPECT_FALSE(f.entries().empty());
      for (const auto& e : f.entries()) EXPECT_NO_THROW(f.read(e.name, torch::kFloat32)) << e.name;
    } else {
      EXPECT_THROW(ct2::ModelBin{path}, jstip::weights::WeightsError);
    }
  }
}
