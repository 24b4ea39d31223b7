// The GGUF reader and writer: what write_file() writes reads back, value for
// value; files that lie are refused with the file and the field named (never
// a crash); quantized tensors dequantize exactly as the gguf Python package
// does (fixtures by scripts/reference/gguf_quant_fixture.py); the shipped
// SmolLM2 file reads as that package reads it.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <c10/util/Half.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "jstip/json.h"
#include "jstip/weights/gguf.h"
#include "tests/weights/gguf_bytes.h"

namespace gg = jstip::gguf;
using gg::Value;
using gg::ValueType;
using gg::test::Bytes;
using gg::test::FakeTensor;
using gg::test::fake_file;
using gg::test::kv;
using gg::test::kv_string;
using gg::test::read_bytes;
using gg::test::write_bytes;
using jstip::weights::WeightsError;

namespace {

const std::string kFixtures = std::string(JSTIP_SOURCE_DIR) + "/tests/weights/fixtures/";

std::filesystem::path temp_dir() {
  return std::filesystem::temp_directory_path() / ("jstip_gguf_test_" + std::to_string(::getpid()));
}
std::string temp_path(const std::string& name) {
  std::filesystem::create_directories(temp_dir());
  return (temp_dir() / name).string();
}
// The scratch files go with the process.
struct RemoveTempDir : ::testing::Environment {
  void TearDown() override { std::filesystem::remove_all(temp_dir()); }
};
const auto* const remove_temp_dir = ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

// Every value type, with the edges of each range.
std::vector<std::pair<std::string, Value>> every_value_type() {
  return {
      {"general.architecture", Value::of_string("llama")},
      {"t.u8", Value::of_integer(ValueType::U8, 255)},
      {"t.i8", Value::of_integer(ValueType::I8, -128)},
      {"t.u16", Value::of_integer(ValueType::U16, 65535)},
      {"t.i16", Value::of_integer(ValueType::I16, -32768)},
      {"t.u32", Value::of_integer(ValueType::U32, 4294967295LL)},
      {"t.i32", Value::of_integer(ValueType::I32, std::numeric_limits<int32_t>::min())},
      {"t.u64", Value::of_integer(ValueType::U64, std::numeric_limits<int64_t>::max())},
      {"t.i64", Value::of_integer(ValueType::I64, std::numeric_limits<int64_t>::min())},
      {"t.f32", Value::of_real(ValueType::F32, 0.1)},
      {"t.f64", Value::of_real(ValueType::F64, 0.1)},
      {"t.true", Value::of_bool(true)},
      {"t.false", Value::of_bool(false)},
      {"t.string", Value::of_string(std::string("caf\xc3\xa9 \0 nul", 11))},
      {"t.empty_string", Value::of_string("")},
      {"a.u8", Value::of_integers(ValueType::U8, {0, 7, 255})},
      {"a.i8", Value::of_integers(ValueType::I8, {-128, 0, 127})},
      {"a.u16", Value::of_integers(ValueType::U16, {65535})},
      {"a.i16", Value::of_integers(ValueType::I16, {-32768, 32767})},
      {"a.u32", Value::of_integers(ValueType::U32, {1, 4294967295LL})},
      {"a.i32", Value::of_integers(ValueType::I32, {1, 1, 3, -5})},
      {"a.u64", Value::of_integers(ValueType::U64, {0, std::numeric_limits<int64_t>::max()})},
      {"a.i64", Value::of_integers(ValueType::I64, {std::numeric_limits<int64_t>::min(), 9})},
      {"a.bool", Value::of_integers(ValueType::Bool, {1, 0, 1})},
      {"a.f32", Value::of_reals(ValueType::F32, {0.5, -1.0, 1e30})},
      {"a.f64", Value::of_reals(ValueType::F64, {0.1, -2.5e300})},
      {"a.strings", Value::of_strings({"a", "", "<|im_end|>", "\xc4\xa0the"})},
      {"a.empty", Value::of_strings({})},
  };
}

std::vector<gg::WriteTensor> float_tensors() {
  return {
      {"w32", torch::arange(12, torch::kFloat32).view({3, 4}) / 7},
      {"w16", (torch::arange(64, torch::kFloat32).view({2, 32}) - 20).to(torch::kFloat16)},
      {"wbf", torch::tensor({1.5f, -2.0f, 3.25f}).to(torch::kBFloat16)},
      {"w4d", torch::linspace(-3, 3, 30).view({2, 3, 1, 5})},
      {"scalar", torch::tensor(2.5f)},
  };
}

// A small valid file: every value type and three tensors.
std::string small_file(uint64_t alignment = 32) {
  const std::string path = temp_path("small-" + std::to_string(alignment) + ".gguf");
  gg::write_file(path, every_value_type(), float_tensors(), alignment);
  return path;
}

// Expects the file to be refused with WeightsError naming the file and containing `what`.
void expect_refused(const std::string& bytes, const std::string& what, bool read_tensors = true) {
  const std::string path = temp_path("lying.gguf");
  write_bytes(path, bytes);
  try {
    gg::GgufFile f(path);
    if (read_tensors)
      for (const auto& e : f.entries()) f.read(e.name, torch::kFloat32);
    ADD_FAILURE() << "accepted a file that should be refused (" << what << ")";
  } catch (const WeightsError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << "expected '" << what << "' in: " << message;
  }
}

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() &&
         std::memcmp(a.data_ptr(), b.data_ptr(), size_t(a.nbytes())) == 0;
}

// One F32 tensor of 4 values at offset 0: the base of the tensor-info lies.
std::string one_tensor(const FakeTensor& t, const std::string& kvs = "", uint64_t kv_count = 0,
                       uint64_t alignment = 32) {
  return fake_file(kvs, kv_count, {t}, std::string(64, '\0'), alignment);
}

}  // namespace

TEST(Gguf, RoundTripsEveryMetadataType) {
  gg::GgufFile f(small_file());
  EXPECT_EQ(f.version(), 3u);
  const auto written = every_value_type();
  ASSERT_EQ(f.metadata().size(), written.size());
  for (const auto& [key, v] : written) {
    SCOPED_TRACE(key);
    ASSERT_TRUE(f.has(key));
    const Value& r = f.value(key);
    EXPECT_EQ(r.type, v.type);
    if (v.type == ValueType::Array) EXPECT_EQ(r.element_type, v.element_type);
    EXPECT_EQ(r.integer, v.integer);
    EXPECT_EQ(r.string, v.string);
    EXPECT_EQ(r.integers, v.integers);
    EXPECT_EQ(r.strings, v.strings);
    EXPECT_EQ(r.array_size(), v.array_size());
    // f32 values come back as the float they were stored as.
    const bool f32 = v.type == ValueType::F32 || v.element_type == ValueType::F32;
    if (v.type == ValueType::F32 || v.type == ValueType::F64)
      EXPECT_EQ(r.real, f32 ? double(float(v.real)) : v.real);
    ASSERT_EQ(r.reals.size(), v.reals.size());
    for (size_t i = 0; i < v.reals.size(); ++i) EXPECT_EQ(r.reals[i], f32 ? double(float(v.reals[i])) : v.reals[i]);
  }
  // Typed getters.
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("t.u32"), 4294967295LL);
  EXPECT_EQ(f.get_int("t.i64"), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(f.get_float("t.u8"), 255.0);
  EXPECT_EQ(f.get_float("t.f64"), 0.1);
  EXPECT_TRUE(f.get_bool("t.true", false));
  EXPECT_FALSE(f.get_bool("t.false", true));
  EXPECT_TRUE(f.get_bool("missing", true));
  EXPECT_EQ(f.get_int("missing", 5), 5);
  EXPECT_EQ(f.get_string("missing", "x"), "x");
  EXPECT_EQ(f.get_float("missing", 1.5), 1.5);
  EXPECT_EQ(f.get_strings("a.strings").size(), 4u);
  EXPECT_TRUE(f.get_strings("a.empty").empty());
  EXPECT_EQ(f.get_ints("a.i32"), (std::vector<int64_t>{1, 1, 3, -5}));
  EXPECT_EQ(f.get_floats("a.f64"), (std::vector<double>{0.1, -2.5e300}));
  // Wrong types and missing keys name the file, the key and what was expected.
  try {
    f.get_string("t.u32");
    ADD_FAILURE() << "get_string accepted a u32";
  } catch (const WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find("key 't.u32' is u32, expected string"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(f.path()), std::string::npos) << e.what();
  }
  EXPECT_THROW(f.get_int("t.true"), WeightsError);
  EXPECT_THROW(f.get_int("t.f32"), WeightsError);
  EXPECT_THROW(f.get_bool("t.u8", false), WeightsError);
  EXPECT_THROW(f.get_strings("a.i32"), WeightsError);
  EXPECT_THROW(f.get_ints("a.bool"), WeightsError);
  EXPECT_THROW(f.get_floats("a.i32"), WeightsError);
  EXPECT_THROW(f.value("missing"), WeightsError);
  EXPECT_THROW(f.get_int("missing"), WeightsError);
}

TEST(Gguf, RoundTripsFloatTensors) {
  for (uint64_t alignment : {uint64_t{32}, uint64_t{1}, uint64_t{64}, uint64_t{4096}}) {
    SCOPED_TRACE("alignment " + std::to_string(alignment));
    gg::GgufFile f(small_file(alignment));
    EXPECT_EQ(f.alignment(), alignment);
    EXPECT_EQ(f.data_start() % alignment, 0u);
    if (alignment != 32) EXPECT_EQ(f.get_int("general.alignment"), int64_t(alignment));
    else EXPECT_FALSE(f.has("general.alignment"));
    const auto tensors = float_tensors();
    const auto entries = f.entries();
    ASSERT_EQ(entries.size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& t = tensors[i];
      SCOPED_TRACE(t.name);
      EXPECT_EQ(entries[i].name, t.name);  // file order
      EXPECT_EQ(entries[i].shape, t.tensor.sizes().vec());
      EXPECT_EQ(entries[i].type, t.tensor.scalar_type() == torch::kFloat32 ? "F32"
                                 : t.tensor.scalar_type() == torch::kFloat16 ? "F16" : "BF16");
      EXPECT_TRUE(same_bits(f.read(t.name, torch::ScalarType::Undefined), t.tensor));  // as stored
      EXPECT_TRUE(same_bits(f.read(t.name, t.tensor.scalar_type()), t.tensor));
      EXPECT_TRUE(same_bits(f.read(t.name, torch::kFloat32), t.tensor.to(torch::kFloat32)));
      EXPECT_TRUE(same_bits(f.read(t.name, torch::kFloat64), t.tensor.to(torch::kFloat64)));
      const auto& info = f.tensor_infos()[i];
      EXPECT_EQ(info.offset % alignment, 0u);
      EXPECT_EQ(info.bytes, uint64_t(t.tensor.nbytes()));
    }
    // ggml order is the reverse of PyTorch's.
    EXPECT_EQ(f.tensor_infos()[3].ne, (std::vector<uint64_t>{5, 1, 3, 2}));
    EXPECT_TRUE(f.tensor_infos()[4].ne.empty());
  }
  gg::GgufFile f(small_file());
  EXPECT_TRUE(f.contains("w16"));
  EXPECT_FALSE(f.contains("nope"));
  EXPECT_THROW(f.entry("nope"), WeightsError);
  EXPECT_THROW(f.read("nope", torch::kFloat32), WeightsError);
  EXPECT_THROW(f.read("w32", torch::kInt64), WeightsError);  // a floating dtype is expected
  EXPECT_EQ(f.format(), "gguf");
}

TEST(Gguf, WriterIsAtomicAndRefusesWhatReadersWouldMisread) {
  const std::string path = temp_path("writer.gguf");
  auto expect_refused_write = [&](const std::vector<std::pair<std::string, Value>>& metadata,
                                  const std::vector<gg::WriteTensor>& tensors, const std::string& what,
                                  uint64_t alignment = 32) {
    write_bytes(path, "old contents");
    try {
      gg::write_file(path, metadata, tensors, alignment);
      ADD_FAILURE() << "wrote a file that should be refused (" << what << ")";
    } catch (const WeightsError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_bytes(path), "old contents");  // the old file stays whole
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  };
  expect_refused_write({{"k", Value::of_integer(ValueType::U8, 256)}}, {}, "256 does not fit a u8");
  expect_refused_write({{"k", Value::of_integer(ValueType::U32, -1)}}, {}, "does not fit a u32");
  expect_refused_write({{"k", Value::of_integers(ValueType::I8, {1, 200})}}, {}, "200 does not fit a i8");
  expect_refused_write({{"k", Value::of_integer(ValueType::Bool, 2)}}, {}, "does not fit a bool");
  expect_refused_write({{"k", Value::of_bool(true)}, {"k", Value::of_bool(false)}}, {}, "key 'k': appears twice");
  expect_refused_write({{"", Value::of_bool(true)}}, {}, "is empty");
  Value nested = Value::of_strings({});
  nested.element_type = ValueType::Array;
  expect_refused_write({{"k", nested}}, {}, "no nested arrays");
  Value mixed = Value::of_strings({"a"});
  mixed.integers = {1};
  expect_refused_write({{"k", mixed}}, {}, "another element vector");
  expect_refused_write({{"general.alignment", Value::of_integer(ValueType::U32, 32)}}, {}, "general.alignment", 64);
  expect_refused_write({{"general.alignment", Value::of_integer(ValueType::U64, 32)}}, {}, "general.alignment");
  expect_refused_write({}, {}, "alignment 48", 48);
  expect_refused_write({}, {{"t", torch::zeros({2}, torch::kInt64)}}, "is not float32, float16 or bfloat16");
  expect_refused_write({}, {{"t", torch::zeros({1, 1, 1, 1, 1})}}, "at most 4");
  expect_refused_write({}, {{"t", torch::zeros({2, 0})}}, "size 0");
  expect_refused_write({}, {{"t", torch::zeros({2})}, {"t", torch::zeros({2})}}, "tensor 't': appears twice");
  expect_refused_write({}, {{"", torch::zeros({2})}}, "name is empty");

  // A file written over an old one replaces it whole.
  gg::write_file(path, {{"general.alignment", Value::of_integer(ValueType::U32, 64)}}, {{"t", torch::ones({3})}}, 64);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  gg::GgufFile f(path);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_TRUE(torch::equal(f.read("t", torch::kFloat32), torch::ones({3})));
}

TEST(Gguf, EveryPrefixParsesOrIsRefusedWithTheFileNamed) {
  const std::string bytes = read_bytes(small_file());
  const std::string path = temp_path("truncated.gguf");
  gg::GgufFile whole(small_file());
  uint64_t data_end = 0;
  for (const auto& info : whole.tensor_infos())
    data_end = std::max(data_end, whole.data_start() + info.offset + info.bytes);
  size_t accepted = 0;
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(path, bytes.substr(0, n));
    try {
      gg::GgufFile f(path);
      for (const auto& e : f.entries()) f.read(e.name, torch::kFloat32);
      // Only a cut in the padding after the last tensor's bytes may still read.
      EXPECT_GE(n, data_end) << "prefix of " << n << " bytes accepted";
      ++accepted;
    } catch (const WeightsError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + path + "'"), std::string::npos) << e.what();
      EXPECT_LT(n, data_end) << "a prefix holding every tensor was refused: " << e.what();
    }
  }
  EXPECT_EQ(accepted, bytes.size() - data_end);
}

TEST(Gguf, LyingHeadersAreRefusedNamingTheField) {
  const std::string good = read_bytes(small_file());
  std::string b = good;
  b[1] = 'X';
  expect_refused(b, "magic is 'GXUF', expected 'GGUF'");
  expect_refused("GG", "header magic: needs 4 bytes at offset 0 but the file ends at 2");
  expect_refused("", "header magic");

  auto patched = [&](size_t at, auto value) {
    std::string out = good;
    std::memcpy(&out[at], &value, sizeof value);
    return out;
  };
  expect_refused(patched(4, uint32_t{7}), "version 7 is not supported: expected version 3");
  expect_refused(patched(4, uint32_t{1}), "version 1");
  expect_refused(patched(4, uint32_t{0x03000000}), "big-endian");
  expect_refused(patched(8, uint64_t{1} << 50), "tensor count 1125899906842624 exceeds what the file can hold");
  expect_refused(patched(16, uint64_t{1} << 40), "KV count 1099511627776 exceeds what the file can hold");
  expect_refused(patched(24, uint64_t{1} << 33), "metadata KV 0 key: string length 8589934592 at offset 24 runs past the end");

  // Metadata values (one KV, no tensors).
  expect_refused(fake_file(Bytes().str("k").u32(8).u64(1000).raw("abc").str(), 1, {}, ""),
                 "key 'k' string: string length 1000");
  expect_refused(fake_file(Bytes().str("k").u32(9).u32(8).u64(uint64_t{1} << 40).str(), 1, {}, ""),
                 "key 'k' array count 1099511627776 exceeds what the file can hold");
  expect_refused(fake_file(Bytes().str("k").u32(9).u32(7).u64(3).raw(std::string("\x01\x02\x00", 3)).str(), 1, {}, ""),
                 "key 'k' element 1 value: bool 2 is not 0 or 1");
  expect_refused(fake_file(Bytes().str("k").u32(9).u32(8).u64(2).str("a").u64(99).str(), 1, {}, ""),
                 "key 'k' element 1 string: string length 99");
  expect_refused(fake_file(Bytes().str("k").u32(9).u32(9).u64(1).str(), 1, {}, ""), "nested arrays");
  expect_refused(fake_file(Bytes().str("k").u32(9).u32(13).u64(1).str(), 1, {}, ""), "element type: 13 is not");
  expect_refused(fake_file(kv("k", 13, uint32_t{0}), 1, {}, ""), "key 'k' type: 13 is not a GGUF value type");
  expect_refused(fake_file(kv("k", 7, uint8_t{2}), 1, {}, ""), "key 'k' value: bool 2 is not 0 or 1");
  expect_refused(fake_file(kv("k", 10, ~uint64_t{0}), 1, {}, ""), "above the int64 range");
  expect_refused(fake_file(kv("k", 4, uint32_t{1}) + kv("k", 4, uint32_t{2}), 2, {}, ""), "key 'k': appears twice");
  expect_refused(fake_file(kv("", 4, uint32_t{1}), 1, {}, ""), "metadata KV 0 key: is empty");

  // general.alignment: a nonzero power of two, stored as u32.
  const FakeTensor f32{"w", {4}, 0, 0};
  expect_refused(one_tensor(f32, kv("general.alignment", 4, uint32_t{48}), 1), "'general.alignment' is 48");
  expect_refused(one_tensor(f32, kv("general.alignment", 4, uint32_t{0}), 1), "'general.alignment' is 0");
  expect_refused(one_tensor(f32, kv("general.alignment", 10, uint64_t{32}), 1),
                 "'general.alignment' is u64, expected u32");
  expect_refused(one_tensor(f32, kv("general.alignment", 4, uint32_t{1u << 31}), 1), "past the end of the file");

  // Tensor infos.
  expect_refused(one_tensor({"w", {4, 1, 1, 1, 1}, 0, 0}), "tensor 'w' n_dims: 5 is more than 4");
  expect_refused(one_tensor({"w", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0}), "tensor 'w' dims: dimension 1");
  expect_refused(one_tensor({"w", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0}), "more than 2^63 values");
  expect_refused(one_tensor({"w", {4, 0}, 0, 0}), "dimension 1 is 0");
  expect_refused(one_tensor({"w", {uint64_t{1} << 41}, 0, 0}), "need more bytes than the file holds");
  expect_refused(one_tensor({"w", {16, 2}, 0, 0}), "outside the data section (64 bytes)");
  expect_refused(one_tensor({"w", {4}, 0, 3}), "tensor 'w' offset 3 is not a multiple of the alignment 32");
  expect_refused(one_tensor({"w", {4}, 0, uint64_t{1} << 40}), "tensor 'w' offset: bytes [1099511627776");
  expect_refused(one_tensor({"w", {4}, 0, ~uint64_t{0} - 31}), "outside the data section");
  expect_refused(one_tensor({"w", {48}, 2, 0}), "ne0 48 is not a multiple of the Q4_0 block size 32");
  expect_refused(one_tensor({"w", {4}, 14, 0}), "ne0 4 is not a multiple of the Q6_K block size 256");
  expect_refused(one_tensor({"", {4}, 0, 0}), "tensor info 0 name: is empty");
  expect_refused(fake_file("", 0, {{"w", {4}, 0, 0}, {"w", {4}, 0, 32}}, std::string(64, '\0')),
                 "tensor 'w': appears twice");
  expect_refused(fake_file("", 0, {{"a", {8}, 0, 0}, {"b", {4}, 0, 0}}, std::string(64, '\0')),
                 "tensors 'a' and 'b' overlap");
  expect_refused(fake_file("", 0, {{std::string("x\n\x01", 3), {4}, 0, 3}}, std::string(64, '\0')),
                 "tensor 'x\\x0a\\x01' offset");  // control bytes escaped
  // The tensor infos themselves cut short.
  // (24 bytes of header, then name 9, n_dims 4, dims 8, type 4, offset 8: cut inside the offset.)
  expect_refused(fake_file("", 0, {f32}, "").substr(0, 52), "tensor 'w' offset: needs 8 bytes at offset 49 but the file ends at 52");
}

TEST(Gguf, TypesJstipCannotReadAreListedAndRefusedByNameWhenRead) {
  // Q6_K (known size: 210 bytes per 256) and a type ggml does not list.
  const std::string bytes =
      fake_file("", 0, {{"q6", {256, 2}, 14, 0}, {"odd", {7}, 77, 448}, {"ok", {4}, 0, 480}}, std::string(496, '\0'));
  const std::string path = temp_path("unsupported.gguf");
  write_bytes(path, bytes);
  gg::GgufFile f(path);
  ASSERT_EQ(f.entries().size(), 3u);
  EXPECT_EQ(f.entry("q6").type, "Q6_K");
  EXPECT_EQ(f.entry("q6").shape, (std::vector<int64_t>{2, 256}));
  EXPECT_EQ(f.tensor_infos()[0].bytes, 420u);
  EXPECT_EQ(f.entry("odd").type, "type 77");
  EXPECT_EQ(f.tensor_infos()[1].bytes, 0u);
  EXPECT_EQ(f.read("ok", torch::kFloat32).numel(), 4);
  for (const auto& [name, type] : {std::pair<std::string, std::string>{"q6", "Q6_K"}, {"odd", "type 77"}}) {
    try {
      f.read(name, torch::kFloat32);
      ADD_FAILURE() << "read a tensor of type " << type;
    } catch (const WeightsError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + path + "': tensor '" + name + "': type " + type +
                                           " is not supported: supported F32, F16, BF16, Q8_0, Q4_0, Q4_1"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(Gguf, DequantizesExactlyAsTheGgufPackage) {
  gg::GgufFile quant(kFixtures + "quant.gguf");
  gg::GgufFile expected(kFixtures + "quant_expected.gguf");
  ASSERT_EQ(quant.entries().size(), 10u);
  ASSERT_EQ(expected.entries().size(), quant.entries().size());
  std::set<std::string> types;
  for (const auto& e : quant.entries()) {
    SCOPED_TRACE(e.name);
    types.insert(e.type);
    const torch::Tensor want = expected.read(e.name, torch::kFloat32);
    const torch::Tensor got = quant.read(e.name, torch::kFloat32);
    EXPECT_EQ(got.sizes(), want.sizes());
    EXPECT_EQ(expected.entry(e.name).shape, e.shape);
    EXPECT_TRUE(same_bits(got, want)) << "max difference " << (got - want).abs().max().item<float>();
    EXPECT_TRUE(same_bits(quant.read(e.name, torch::kBFloat16), want.to(torch::kBFloat16)));
  }
  EXPECT_EQ(types, (std::set<std::string>{"Q4_0", "Q4_1", "Q8_0", "F16", "BF16", "F32"}));
}

TEST(Gguf, DequantizeRowFollowsTheBlockLayouts) {
  // Q8_0: d = 0.5, q = -16..15 -> q * 0.5.
  uint8_t q8[34];
  const uint16_t half = c10::Half(0.5f).x;
  std::memcpy(q8, &half, 2);
  for (int j = 0; j < 32; ++j) q8[2 + j] = uint8_t(int8_t(j - 16));
  float out[64];
  gg::dequantize_row(8, q8, 34, out, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], float(j - 16) * 0.5f);

  // Q4_1: d = 0.25, m = -1; low nibbles are values 0..15, high nibbles 16..31.
  uint8_t q41[20];
  const uint16_t d = c10::Half(0.25f).x, m = c10::Half(-1.0f).x;
  std::memcpy(q41, &d, 2);
  std::memcpy(q41 + 2, &m, 2);
  for (int j = 0; j < 16; ++j) q41[4 + j] = uint8_t(j | ((15 - j) << 4));
  gg::dequantize_row(3, q41, 20, out, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], j * 0.25f - 1.0f);
    EXPECT_EQ(out[j + 16], (15 - j) * 0.25f - 1.0f);
  }

  // Q4_0: d = 2; value = (q - 8) * d.
  uint8_t q40[18];
  const uint16_t two = c10::Half(2.0f).x;
  std::memcpy(q40, &two, 2);
  for (int j = 0; j < 16; ++j) q40[2 + j] = uint8_t(j | (j << 4));
  gg::dequantize_row(2, q40, 18, out, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], float(j - 8) * 2);
    EXPECT_EQ(out[j + 16], float(j - 8) * 2);
  }
  // BF16: the high half of a float32.
  const uint8_t bf[4] = {0xc0, 0x3f, 0x00, 0xc0};  // 1.5, -2
  gg::dequantize_row(30, bf, 4, out, 2);
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -2.0f);

  try {
    gg::dequantize_row(14, q40, 18, out, 32);
    ADD_FAILURE() << "dequantized Q6_K";
  } catch (const WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find("type Q6_K is not supported"), std::string::npos) << e.what();
  }
  EXPECT_THROW(gg::dequantize_row(3, q41, 19, out, 32), WeightsError);  // byte count of another size
  EXPECT_THROW(gg::dequantize_row(3, q41, 20, out, 16), WeightsError);  // not a whole block
  EXPECT_THROW(gg::dequantize_row(0, q41, 20, out, 4), WeightsError);
}

// The shipped SmolLM2-135M-Instruct file (models/, installed by scripts/install-deps.sh),
// against values from gguf.quants.dequantize (tests/weights/fixtures/smollm2_values.json).
TEST(Gguf, ReadsTheShippedSmolLM2FileAsTheGgufPackageDoes) {
  const std::string path = std::string(JSTIP_SOURCE_DIR) + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent (scripts/install-deps.sh installs it)";
  const auto parse_start = std::chrono::steady_clock::now();
  gg::GgufFile f(path);
  const double parse_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - parse_start).count();
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.tensor_infos().size(), 272u);
  std::map<std::string, int> by_type;
  for (const auto& e : f.entries()) ++by_type[e.type];
  EXPECT_EQ(by_type, (std::map<std::string, int>{{"Q4_1", 210}, {"F32", 61}, {"Q8_0", 1}}));
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.block_count"), 30);
  EXPECT_EQ(f.get_int("llama.embedding_length"), 576);
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens").size(), 49152u);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens")[1], "<|im_start|>");
  EXPECT_EQ(f.get_strings("tokenizer.ggml.merges").size(), 48900u);
  EXPECT_FALSE(f.contains("output.weight"));  // tied embeddings
  EXPECT_EQ(f.entry("token_embd.weight").shape, (std::vector<int64_t>{49152, 576}));
  EXPECT_EQ(f.entry("token_embd.weight").type, "Q8_0");

  const jstip::Json fixture = jstip::read_json_file(kFixtures + "smollm2_values.json");
  const auto& tensors = fixture.find("tensors")->fields();
  ASSERT_EQ(tensors.size(), 5u);
  for (const auto& [name, want] : tensors) {
    SCOPED_TRACE(name);
    EXPECT_EQ(f.entry(name).type, want.find("type")->as_string());
    std::vector<int64_t> shape;
    for (const auto& d : want.find("shape")->items()) shape.push_back(d.as_int());
    EXPECT_EQ(f.entry(name).shape, shape);
    const torch::Tensor t = f.read(name, torch::kFloat32);
    EXPECT_NEAR(t.to(torch::kFloat64).sum().item<double>(), want.find("sum")->as_double(),
                1e-9 * t.numel() + 1e-7 * std::abs(want.find("sum")->as_double()));
    for (const auto& row : want.find("rows")->items()) {
      const int64_t r = row.find("row")->as_int();
      const torch::Tensor v = r < 0 ? t : t[r];
      const auto& first = row.find("first")->items();
      for (size_t j = 0; j < first.size(); ++j)
        EXPECT_EQ(v[int64_t(j)].item<float>(), float(first[j].as_double())) << "row " << r << " value " << j;
      EXPECT_NEAR(v.to(torch::kFloat64).sum().item<double>(), row.find("sum")->as_double(), 1e-9 * v.numel())
          << "row " << r;
    }
  }

  const auto start = std::chrono::steady_clock::now();
  int64_t values = 0;
  for (const auto& info : f.tensor_infos()) values += f.read(info.name, torch::kFloat32).numel();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("header parsed in %.3f s; all %zu tensors (%lld values) read as f32 in %.2f s (%d threads)\n",
              parse_seconds, f.tensor_infos().size(), static_cast<long long>(values), seconds, at::get_num_threads());
  EXPECT_LT(seconds, 10.0);  // generous for a loaded CI machine; ~0.3 s on 2 cores here
}
