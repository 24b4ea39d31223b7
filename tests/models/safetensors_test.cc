// Safetensors: round trips per dtype, sharded directories, and headers that
// lie about sizes or offsets (must fail with a message, never read out of bounds).
#include <fstream>

#include "jstip/json.h"
#include "jstip/safetensors.h"
#include "model_test_util.h"

namespace st = jstip::safetensors;
using jstip::testing::expect_error_containing;
using jstip::testing::TempDir;

namespace {

// Writes a file with a hand-made header and `data_bytes` bytes of data.
void write_raw(const std::string& path, const std::string& header, size_t data_bytes, uint64_t claimed_length = 0) {
  std::ofstream out(path, std::ios::binary);
  uint64_t length = claimed_length ? claimed_length : header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xFF));
  out << header << std::string(data_bytes, '\x01');
}

}  // namespace

TEST(Json, ParsesAndDumps) {
  auto j = jstip::Json::parse(R"({"a": [1, 2.5, "x\n\u00e9"], "b": {"c": null, "d": true}, "big": 9007199254740993})");
  EXPECT_EQ(j.find("a")->items()[0].as_int(), 1);
  EXPECT_DOUBLE_EQ(j.find("a")->items()[1].as_double(), 2.5);
  EXPECT_EQ(j.find("a")->items()[2].as_string(), "x\n\xc3\xa9");
  EXPECT_EQ(j.get_int("big", 0), 9007199254740993LL);  // exact beyond double precision
  EXPECT_TRUE(j.find("b")->find("c")->is_null());
  auto again = jstip::Json::parse(j.dump(2));
  EXPECT_EQ(again.dump(), j.dump());
}

TEST(Json, RejectsMalformedAndDeepInput) {
  for (const char* bad : {"{", "[1,]", "{\"a\" 1}", "\"unterminated", "01x", "{\"a\":1,\"a\":2}", "nul"})
    EXPECT_THROW(jstip::Json::parse(bad), jstip::JsonError) << bad;
  EXPECT_THROW(jstip::Json::parse(std::string(1000, '[') + std::string(1000, ']')), jstip::JsonError);
}

TEST(Safetensors, RoundTripKeepsNamesShapesDtypesAndValues) {
  TempDir dir;
  st::TensorMap tensors;
  tensors["a.f32"] = torch::randn({3, 4});
  tensors["b.f16"] = torch::randn({2, 5}).to(torch::kFloat16);
  tensors["c.bf16"] = torch::randn({7}).to(torch::kBFloat16);
  tensors["d.i64"] = torch::arange(6, torch::kInt64).view({2, 3});
  tensors["e.bool"] = torch::tensor({true, false, true});
  tensors["f.empty"] = torch::zeros({0, 3});
  tensors["g.scalar"] = torch::tensor(3.5);
  tensors["h.noncontig"] = torch::randn({4, 3}).t();
  st::save_file(dir.file("x.safetensors"), tensors, {{"note", "hello"}});

  st::Metadata metadata;
  auto loaded = st::load_file(dir.file("x.safetensors"), {}, &metadata);
  EXPECT_EQ(metadata.at("note"), "hello");
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    ASSERT_TRUE(loaded.count(name)) << name;
    EXPECT_EQ(loaded[name].scalar_type(), t.scalar_type()) << name;
    EXPECT_EQ(loaded[name].sizes(), t.sizes()) << name;
    EXPECT_TRUE(torch::equal(loaded[name], t)) << name;
  }
  auto header = st::read_header(dir.file("x.safetensors"));
  EXPECT_EQ(header.tensors.at("c.bf16").dtype, "BF16");
  EXPECT_EQ(header.data_start % 8, 0u);
}

TEST(Safetensors, LoadsOnlyRequestedNamesAndNamesMissingOnes) {
  TempDir dir;
  st::save_file(dir.file("x.safetensors"), {{"w", torch::ones({2})}, {"v", torch::zeros({3})}});
  auto only = st::load_file(dir.file("x.safetensors"), {"v"});
  EXPECT_EQ(only.size(), 1u);
  expect_error_containing([&] { st::load_file(dir.file("x.safetensors"), {"nope"}); }, "nope");
}

TEST(Safetensors, ShardedDirectoryRoundTrip) {
  TempDir dir;
  st::TensorMap tensors;
  for (int i = 0; i < 5; ++i) tensors["layer." + std::to_string(i) + ".weight"] = torch::randn({16, 16});
  st::save_directory(dir.str(), tensors, /*max_shard_bytes=*/2 * 16 * 16 * 4);
  EXPECT_TRUE(std::filesystem::exists(dir.file("model.safetensors.index.json")));
  EXPECT_TRUE(std::filesystem::exists(dir.file("model-00003-of-00003.safetensors")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("model.safetensors")));
  auto loaded = st::load_directory(dir.str());
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& [name, t] : tensors) EXPECT_TRUE(torch::equal(loaded.at(name), t)) << name;
}

TEST(Safetensors, IndexCannotPointOutsideTheDirectory) {
  TempDir dir;
  std::ofstream(dir.file("model.safetensors.index.json")) << R"({"weight_map": {"w": "../evil.safetensors"}})";
  expect_error_containing([&] { st::load_directory(dir.str()); }, "not a plain file name");
}

TEST(Safetensors, PickleWeightsAreNeverLoaded) {
  // A folder holding only PyTorch's pickle format (which can run code when unpickled) is refused by name.
  TempDir dir;
  std::ofstream(dir.file("pytorch_model.bin")) << "\x80\x02cposix\nsystem\n";  // a pickle prologue
  std::ofstream(dir.file("config.json")) << "{}";
  expect_error_containing([&] { st::load_directory(dir.str()); },
                          "has neither model.safetensors nor model.safetensors.index.json");
  // A pickle under the safetensors name is no safetensors file either.
  std::ofstream(dir.file("model.safetensors"), std::ios::binary) << "\x80\x02cposix\nsystem\n(S'true'\ntR.";
  EXPECT_THROW(st::load_directory(dir.str()), st::SafetensorsError);
}

TEST(Safetensors, IndexNamingATensorTheShardLacksIsAnError) {
  TempDir dir;
  st::save_file(dir.file("a.safetensors"), {{"w", torch::ones({2})}});
  std::ofstream(dir.file("model.safetensors.index.json"))
      << R"({"weight_map": {"w": "a.safetensors", "missing.weight": "a.safetensors"}})";
  expect_error_containing([&] { st::load_directory(dir.str()); }, "missing.weight");
}

TEST(Safetensors, HeaderThatLiesIsRejected) {
  TempDir dir;
  std::string p = dir.file("bad.safetensors");
  struct Case {
    std::string header;
    size_t data;
    std::string needle;
  };
  std::vector<Case> cases = {
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8, "past the data section"},
      {R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}})", 8, "need 16"},
      {R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 8, "non-negative"},
      {R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8, "begin > end"},
      {R"({"w":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", 8, "unsupported dtype"},
      {R"({"w":{"dtype":"F32","shape":[4611686018427387904, 4],"data_offsets":[0,8]}})", 8, "too large"},
      {R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
       16, "overlap"},
      {R"({"w":{"dtype":"F32","shape":[2]}})", 8, "data_offsets"},
      {R"({"w":[1,2]})", 8, "not an object"},
      {R"(not json)", 8, "not valid JSON"},
  };
  for (const auto& c : cases) {
    write_raw(p, c.header, c.data);
    expect_error_containing([&] { st::load_file(p); }, c.needle);
  }
  // A header length beyond the file, and a file too short to hold one.
  write_raw(p, R"({})", 0, /*claimed_length=*/1000);
  expect_error_containing([&] { st::load_file(p); }, "exceeds the file size");
  std::ofstream(p, std::ios::binary | std::ios::trunc) << "abc";
  expect_error_containing([&] { st::load_file(p); }, "shorter than");
}
