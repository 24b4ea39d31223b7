// The GGUF reader: what it writes it reads back; files that lie about their
// sizes are refused with the file and the field named (never a crash); the
// quantized types dequantize as ggml defines them; the shipped SmolLM2 file
// reads as the gguf Python package reads it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <c10/util/Half.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "jstip/weights/gguf.h"

namespace gg = jstip::gguf;
using jstip::weights::WeightsError;

namespace {

std::string temp_path(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("jstip_gguf_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

gg::Value scalar(gg::ValueType t, int64_t i, double r = 0) {
  gg::Value v;
  v.type = t;
  v.integer = i;
  v.real = r;
  return v;
}
gg::Value text(const std::string& s) {
  gg::Value v;
  v.type = gg::ValueType::String;
  v.string = s;
  return v;
}

std::string small_file() {
  const std::string path = temp_path("small.gguf");
  gg::Value tokens;
  tokens.type = gg::ValueType::Array;
  tokens.element_type = gg::ValueType::String;
  tokens.strings = {"a", "b", "<|im_end|>"};
  gg::Value types;
  types.type = gg::ValueType::Array;
  types.element_type = gg::ValueType::I32;
  types.integers = {1, 1, 3};
  gg::Value scores;
  scores.type = gg::ValueType::Array;
  scores.element_type = gg::ValueType::F32;
  scores.reals = {0.5, -1.0};
  gg::write_file(path,
                 {{"general.architecture", text("llama")},
                  {"llama.block_count", scalar(gg::ValueType::U32, 30)},
                  {"llama.rope.freq_base", scalar(gg::ValueType::F32, 0, 100000.0)},
                  {"some.i64", scalar(gg::ValueType::I64, -7)},
                  {"some.bool", scalar(gg::ValueType::Bool, 1)},
                  {"some.f64", scalar(gg::ValueType::F64, 0, 0.25)},
                  {"tokenizer.ggml.tokens", tokens},
                  {"tokenizer.ggml.token_type", types},
                  {"some.scores", scores}},
                 {{"w32", torch::arange(12, torch::kFloat32).view({3, 4})},
                  {"w16", torch::arange(64, torch::kFloat32).view({2, 32}).to(torch::kFloat16)},
                  {"wbf", torch::tensor({1.5f, -2.0f}).to(torch::kBFloat16)}});
  return path;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

// Expects WeightsError naming the file and containing `what`.
void expect_refused(const std::string& path, const std::string& what) {
  try {
    gg::GgufFile f(path);
    for (const auto& e : f.entries()) f.read(e.name, torch::kFloat32);
    FAIL() << "accepted a file that should be refused (" << what << ")";
  } catch (const WeightsError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// Offset of the first byte of `needle` in the file (to patch a field).
size_t offset_of(const std::string& bytes, const std::string& needle) {
  const size_t at = bytes.find(needle);
  EXPECT_NE(at, std::string::npos);
  return at;
}
template <typename T>
void patch(std::string& bytes, size_t at, T value) {
  std::memcpy(&bytes[at], &value, sizeof value);
}

}  // namespace

TEST(Gguf, RoundTripsMetadataAndTensors) {
  gg::GgufFile f(small_file());
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.block_count"), 30);
  EXPECT_DOUBLE_EQ(f.get_float("llama.rope.freq_base"), 100000.0);
  EXPECT_EQ(f.get_int("some.i64"), -7);
  EXPECT_TRUE(f.get_bool("some.bool", false));
  EXPECT_DOUBLE_EQ(f.get_float("some.f64"), 0.25);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens"), (std::vector<std::string>{"a", "b", "<|im_end|>"}));
  EXPECT_EQ(f.get_ints("tokenizer.ggml.token_type"), (std::vector<int64_t>{1, 1, 3}));
  EXPECT_EQ(f.get_floats("some.scores"), (std::vector<double>{0.5, -1.0}));
  EXPECT_EQ(f.get_int("missing", 5), 5);
  EXPECT_THROW(f.get_string("llama.block_count"), WeightsError);  // wrong type, named
  ASSERT_EQ(f.entries().size(), 3u);
  EXPECT_EQ(f.entry("w32").shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(f.entry("w16").type, "F16");
  EXPECT_TRUE(torch::equal(f.read("w32", torch::kFloat32), torch::arange(12, torch::kFloat32).view({3, 4})));
  EXPECT_TRUE(torch::equal(f.read("w16", torch::kFloat32), torch::arange(64, torch::kFloat32).view({2, 32})));
  EXPECT_TRUE(torch::equal(f.read("wbf", torch::kFloat32), torch::tensor({1.5f, -2.0f})));
  EXPECT_EQ(f.read("w32", torch::kBFloat16).scalar_type(), torch::kBFloat16);
  EXPECT_THROW(f.read("nope", torch::kFloat32), WeightsError);
}

TEST(Gguf, EveryTruncationIsRefusedWithTheFileNamed) {
  const std::string bytes = read_all(small_file());
  const std::string path = temp_path("truncated.gguf");
  for (size_t n = 0; n < bytes.size(); n += 1) {
    write_all(path, bytes.substr(0, n));
    try {
      gg::GgufFile f(path);
      for (const auto& e : f.entries()) f.read(e.name, torch::kFloat32);
      // Only a cut inside the last tensor's trailing padding may still read.
      EXPECT_GT(n, bytes.size() - 32) << "prefix of " << n << " bytes accepted";
    } catch (const WeightsError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

TEST(Gguf, LyingHeadersAreRefusedNamingTheField) {
  const std::string good = read_all(small_file());
  const std::string path = temp_path("lying.gguf");
  std::string b = good;
  b[0] = 'X';
  write_all(path, b);
  expect_refused(path, "magic");

  b = good;
  patch<uint32_t>(b, 4, 7);
  write_all(path, b);
  expect_refused(path, "version 7");

  b = good;
  patch<uint64_t>(b, 8, uint64_t{1} << 50);  // tensor count
  write_all(path, b);
  expect_refused(path, "tensor count");

  b = good;
  patch<uint64_t>(b, 16, uint64_t{1} << 40);  // KV count
  write_all(path, b);
  expect_refused(path, "metadata count");

  b = good;  // the first key's length runs past the end
  patch<uint64_t>(b, 24, uint64_t{1} << 33);
  write_all(path, b);
  expect_refused(path, "past the end");

  b = good;  // a string array whose count is larger than the file
  size_t at = offset_of(b, "tokenizer.ggml.tokens") + std::strlen("tokenizer.ggml.tokens") + 4 + 4;
  patch<uint64_t>(b, at, uint64_t{1} << 40);
  write_all(path, b);
  expect_refused(path, "array count");

  // Tensor infos: name, n_dims, dims, type, offset.
  const size_t w32 = offset_of(good, std::string("w32")) + 3;
  b = good;
  patch<uint32_t>(b, w32, 5);
  write_all(path, b);
  expect_refused(path, "n_dims 5");

  b = good;
  patch<uint64_t>(b, w32 + 4, uint64_t{1} << 41);
  write_all(path, b);
  expect_refused(path, "absurd");

  b = good;  // dims that fit alone but overflow the data section together
  patch<uint64_t>(b, w32 + 4, uint64_t{1} << 30);
  patch<uint64_t>(b, w32 + 12, uint64_t{1} << 18);
  write_all(path, b);
  expect_refused(path, "outside the data section");

  b = good;
  patch<uint32_t>(b, w32 + 20, 77);  // type
  write_all(path, b);
  expect_refused(path, "unknown ggml type 77");

  b = good;
  patch<uint32_t>(b, w32 + 20, 14);  // Q6_K: known size, not readable; ne0 = 4 is no block multiple
  write_all(path, b);
  expect_refused(path, "block size");

  b = good;
  patch<uint64_t>(b, w32 + 24, 3);  // misaligned offset
  write_all(path, b);
  expect_refused(path, "alignment");

  b = good;
  patch<uint64_t>(b, w32 + 24, uint64_t{1} << 40);  // offset past the end
  write_all(path, b);
  expect_refused(path, "outside the data section");
}

TEST(Gguf, DequantizesGgmlBlocks) {
  // Q8_0: d = 0.5, q = -16..15 -> q * 0.5.
  uint8_t q8[34];
  const uint16_t half = c10::Half(0.5f).x;
  std::memcpy(q8, &half, 2);
  for (int j = 0; j < 32; ++j) q8[2 + j] = uint8_t(int8_t(j - 16));
  float out[32];
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
  EXPECT_THROW(gg::dequantize_row(14, q40, 18, out, 32), WeightsError);  // Q6_K refused by name
  EXPECT_THROW(gg::dequantize_row(3, q41, 19, out, 32), WeightsError);   // wrong byte count
}

// The shipped SmolLM2-135M-Instruct file (models/, installed by scripts/install-deps.sh).
// Expected values: .venv/bin/python -c "import gguf; r = gguf.GGUFReader(PATH); t = {x.name: x for x in r.tensors};
//   d = gguf.quants.dequantize(t[NAME].data, t[NAME].tensor_type); print(d[0, :8].tolist(), d.astype('f8').sum())"
TEST(Gguf, ReadsTheShippedSmolLM2FileAsTheGgufPackageDoes) {
  const std::string path = std::string(JSTIP_SOURCE_DIR) + "/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " absent (scripts/install-deps.sh installs it)";
  gg::GgufFile f(path);
  EXPECT_EQ(f.tensor_infos().size(), 272u);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.block_count"), 30);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.tokens").size(), 49152u);
  EXPECT_EQ(f.get_strings("tokenizer.ggml.merges").size(), 48900u);
  EXPECT_EQ(f.entry("token_embd.weight").shape, (std::vector<int64_t>{49152, 576}));
  EXPECT_EQ(f.entry("token_embd.weight").type, "Q8_0");
  EXPECT_EQ(f.entry("blk.0.attn_q.weight").type, "Q4_1");

  struct Expected {
    const char* name;
    std::vector<double> first;
    double sum;
  };
  const Expected expected[] = {
      {"token_embd.weight",
       {-0.10654449462890625, 0.032978057861328125, 0.048198699951171875, -0.022830963134765625,
        -0.06849288940429688, -0.04566192626953125, 0.020294189453125, -0.12176513671875},
       -15353.04449415207},
      {"blk.0.attn_q.weight",
       {-0.0963134765625, 0.1573486328125, -0.0963134765625, -0.73046875, 1.1719970703125, -0.0963134765625,
        0.030517578125, 0.6646728515625},
       59.22322082519531},
  };
  for (const auto& e : expected) {
    auto t = f.read(e.name, torch::kFloat32);
    for (size_t j = 0; j < e.first.size(); ++j) EXPECT_EQ(t[0][j].item<float>(), float(e.first[j])) << e.name << " " << j;
    EXPECT_NEAR(t.to(torch::kFloat64).sum().item<double>(), e.sum, 1e-6 * std::abs(e.sum)) << e.name;
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& info : f.tensor_infos()) f.read(info.name, torch::kFloat32);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("all %zu tensors dequantized to f32 in %.2f s\n", f.tensor_infos().size(), seconds);
}
