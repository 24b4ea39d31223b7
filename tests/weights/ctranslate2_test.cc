// The CTranslate2 model.bin reader: every stored type and binary version
// reads back as written; files written by CTranslate2's own serializer read as
// an independent parse of them says (fixtures by scripts/reference/ct2_fixture.py),
// int8 and int16 weights dequantize as CTranslate2's ops::Dequantize does;
// lying and truncated files are refused naming the file and the variable or
// field; the shipped Whisper tiny.en model.bin reads as that parse reads it.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "jstip/json.h"
#include "jstip/weights/ctranslate2.h"
#include "tests/weights/ct2_bytes.h"

namespace ct2 = jstip::ctranslate2;
namespace fs = std::filesystem;
using ct2::test::Bytes;
using ct2::test::FakeVariable;
using ct2::test::encode_variable;
using ct2::test::model_bin;
using ct2::test::variable_of;
using jstip::weights::WeightsError;

namespace {

const std::string kFixtures = std::string(JSTIP_SOURCE_DIR) + "/tests/weights/fixtures/";

fs::path temp_dir() { return fs::temp_directory_path() / ("jstip_ct2_test_" + std::to_string(::getpid())); }
std::string temp_path(const std::string& name) {
  fs::create_directories(temp_dir());
  return (temp_dir() / name).string();
}
struct RemoveTempDir : ::testing::Environment {
  void TearDown() override { fs::remove_all(temp_dir()); }
};
const auto* const remove_temp_dir = ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}
std::string written(const std::string& name, const std::string& bytes) {
  const std::string path = temp_path(name);
  write_bytes(path, bytes);
  return path;
}

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.scalar_type() == b.scalar_type() && a.sizes() == b.sizes() &&
         std::memcmp(a.contiguous().data_ptr(), b.contiguous().data_ptr(), size_t(a.nbytes())) == 0;
}

// Expects `what` (each of them) in a WeightsError that also names the file.
void expect_message(const WeightsError& e, const std::string& path, const std::vector<std::string>& what) {
  const std::string message = e.what();
  EXPECT_NE(message.find("'" + path + "'"), std::string::npos) << message;
  for (const auto& w : what) EXPECT_NE(message.find(w), std::string::npos) << "expected '" << w << "' in: " << message;
}

// Expects the bytes to be refused on open, or when every entry is read.
void expect_refused(const std::string& bytes, const std::vector<std::string>& what) {
  const std::string path = written("lying.bin", bytes);
  try {
    ct2::ModelBin f(path);
    for (const auto& e : f.entries()) f.read(e.name, torch::kFloat32);
    ADD_FAILURE() << "accepted a file that should be refused (" << what.front() << ")";
  } catch (const WeightsError& e) {
    expect_message(e, path, what);
  }
}

// One variable of each stored type, a quantized int8 weight with its scale,
// integer scalars, and two aliases (one of an int8 weight).
const torch::Tensor kF32 = torch::arange(6, torch::kFloat32).view({2, 3}) / 7;
const torch::Tensor kF16 = torch::tensor({0.5f, -1.25f, 3.0f, 1e-3f}).to(torch::kFloat16);
const torch::Tensor kBF16 = torch::tensor({1.5f, -2.0f, 3.25f}).to(torch::kBFloat16);
const torch::Tensor kI8 = torch::tensor({127, -127, 3, 0, -5, 6, 7, -8, 100, 50, -25, 1}, torch::kInt8).view({3, 4});
const torch::Tensor kScale = torch::tensor({127.0f, 3.0f, 0.7f});
const torch::Tensor kI32 = torch::tensor({-1, 7, 100000}, torch::kInt32);

std::vector<FakeVariable> every_type() {
  return {variable_of("encoder/w", kF32),
          variable_of("encoder/b", kF16),
          variable_of("encoder/g", kBF16),
          variable_of("decoder/linear/weight", kI8),
          variable_of("decoder/linear/weight_scale", kScale),
          variable_of("encoder/num_heads", torch::tensor(int16_t{6})),
          variable_of("decoder/ids", kI32),
          variable_of("decoder/flag", torch::tensor(int8_t{1}))};
}
const std::vector<std::pair<std::string, std::string>> kAliases = {
    {"decoder/projection/weight", "decoder/linear/weight"}, {"encoder/w_tied", "encoder/w"}};

std::string every_type_file() { return model_bin(6, "TestSpec", 3, every_type(), kAliases); }

// CTranslate2's dequantization: each row's values times the reciprocal of its scale.
torch::Tensor dequantized(const torch::Tensor& q, const torch::Tensor& scale) {
  torch::Tensor out = torch::empty(q.sizes(), torch::kFloat32);
  const int64_t rows = scale.numel(), per_row = q.numel() / rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float reciprocal = 1.f / scale[r].item<float>();
    for (int64_t i = 0; i < per_row; ++i)
      out.view(-1)[r * per_row + i] = float(q.view(-1)[r * per_row + i].item<int8_t>()) * reciprocal;
  }
  return out;
}

std::vector<int64_t> shape_of(const jstip::Json& json) {
  std::vector<int64_t> shape;
  for (const auto& d : json.items()) shape.push_back(d.as_int());
  return shape;
}

}  // namespace

TEST(Ctranslate2, ReadsEveryStoredType) {
  const std::string path = written("every_type.bin", every_type_file());
  ct2::ModelBin f(path);
  EXPECT_EQ(f.format(), "ctranslate2");
  EXPECT_EQ(f.path(), path);
  EXPECT_EQ(f.file(), path);
  EXPECT_EQ(f.version(), 6u);
  EXPECT_EQ(f.spec_name(), "TestSpec");
  EXPECT_EQ(f.revision(), 3u);
  ASSERT_EQ(f.variables().size(), 8u);
  ASSERT_EQ(f.aliases().size(), 2u);
  EXPECT_EQ(f.aliases()[0].name, "decoder/projection/weight");
  EXPECT_EQ(f.aliases()[0].target, "decoder/linear/weight");
  EXPECT_EQ(f.aliases()[0].variable, "decoder/linear/weight");

  // Entries: the variables in file order, then the aliases with their target's shape and type.
  const auto entries = f.entries();
  ASSERT_EQ(entries.size(), 10u);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"encoder/w", "F32"}, {"encoder/b", "F16"}, {"encoder/g", "BF16"}, {"decoder/linear/weight", "I8"},
      {"decoder/linear/weight_scale", "F32"}, {"encoder/num_heads", "I16"}, {"decoder/ids", "I32"},
      {"decoder/flag", "I8"}, {"decoder/projection/weight", "I8"}, {"encoder/w_tied", "F32"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(entries[i].name, want[i].first);
    EXPECT_EQ(entries[i].type, want[i].second) << want[i].first;
  }
  EXPECT_EQ(entries[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(entries[5].shape, std::vector<int64_t>{});  // a scalar
  EXPECT_EQ(f.entry("decoder/projection/weight").shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(f.entry("encoder/w_tied").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_TRUE(f.contains("encoder/w_tied"));
  EXPECT_FALSE(f.contains("encoder/w_tied_scale"));

  // Floats: as stored, or converted.
  EXPECT_TRUE(same_bits(f.read("encoder/w", torch::ScalarType::Undefined), kF32));
  EXPECT_TRUE(same_bits(f.read("encoder/w", torch::kFloat64), kF32.to(torch::kFloat64)));
  EXPECT_TRUE(same_bits(f.read("encoder/b", torch::ScalarType::Undefined), kF16));
  EXPECT_TRUE(same_bits(f.read("encoder/b", torch::kFloat32), kF16.to(torch::kFloat32)));
  EXPECT_TRUE(same_bits(f.read("encoder/g", torch::ScalarType::Undefined), kBF16));
  EXPECT_TRUE(same_bits(f.read("encoder/g", torch::kFloat32), kBF16.to(torch::kFloat32)));
  EXPECT_TRUE(same_bits(f.read("encoder/w_tied", torch::kFloat32), kF32));

  // The int8 weight: dequantized per row (float32 unless asked otherwise), or raw as int8.
  EXPECT_TRUE(f.is_quantized("decoder/linear/weight"));
  EXPECT_TRUE(f.is_quantized("decoder/projection/weight"));  // through its alias
  EXPECT_FALSE(f.is_quantized("decoder/flag"));
  const torch::Tensor deq = dequantized(kI8, kScale);
  EXPECT_FLOAT_EQ(deq[0][0].item<float>(), 1.0f);  // 127 / 127
  EXPECT_TRUE(same_bits(f.read("decoder/linear/weight", torch::ScalarType::Undefined), deq));
  EXPECT_TRUE(same_bits(f.read("decoder/linear/weight", torch::kFloat32), deq));
  EXPECT_TRUE(same_bits(f.read("decoder/linear/weight", torch::kBFloat16), deq.to(torch::kBFloat16)));
  EXPECT_TRUE(same_bits(f.read("decoder/linear/weight", torch::kInt8), kI8));
  EXPECT_TRUE(same_bits(f.read("decoder/projection/weight", torch::kFloat32), deq));  // the target's scale

  // Plain integers keep their type, or convert.
  EXPECT_TRUE(same_bits(f.read("encoder/num_heads", torch::ScalarType::Undefined), torch::tensor(int16_t{6})));
  EXPECT_EQ(f.read("encoder/num_heads", torch::kFloat32).item<float>(), 6.0f);
  EXPECT_TRUE(same_bits(f.read("decoder/ids", torch::ScalarType::Undefined), kI32));
  EXPECT_TRUE(same_bits(f.read("decoder/ids", torch::kInt64), kI32.to(torch::kInt64)));
  EXPECT_EQ(f.read_int("encoder/num_heads"), 6);
  EXPECT_EQ(f.read_int("decoder/flag"), 1);

  // Errors name the file, the variable and what was expected.
  auto expect_error = [&](auto&& call, const std::vector<std::string>& what) {
    try {
      call();
      ADD_FAILURE() << "no error (" << what.front() << ")";
    } catch (const WeightsError& e) {
      expect_message(e, path, what);
    }
  };
  expect_error([&] { f.read("nope", torch::kFloat32); }, {"has no variable 'nope'"});
  expect_error([&] { f.entry("nope"); }, {"has no variable 'nope'"});
  expect_error([&] { f.read("encoder/w", torch::kInt64); }, {"variable 'encoder/w'", "a floating dtype is expected"});
  expect_error([&] { f.read("decoder/linear/weight", torch::kInt32); },
               {"variable 'decoder/linear/weight'", "quantized I8 weight cannot be read as Int"});
  expect_error([&] { f.read_int("encoder/w"); }, {"variable 'encoder/w'", "is F32, expected an integer scalar"});
  expect_error([&] { f.read_int("decoder/ids"); }, {"variable 'decoder/ids'", "has shape [3], expected one value"});
  expect_error([&] { f.read_int("decoder/linear/weight"); }, {"variable 'decoder/linear/weight'", "expected one value"});
}

TEST(Ctranslate2, ReadsEveryBinaryVersion) {
  for (uint32_t version = 1; version <= 6; ++version) {
    SCOPED_TRACE("binary version " + std::to_string(version));
    std::vector<FakeVariable> vars = {variable_of("a/weight", kF32), variable_of("a/n", torch::tensor(int16_t{-3})),
                                      variable_of("a/q", torch::tensor({int8_t{-2}, int8_t{9}}))};
    if (version >= 4) {
      vars.push_back(variable_of("a/h", kF16));
    } else {  // versions 1 to 3 store the item size where later ones store the type
      vars[0].dtype = 4;
      vars[1].dtype = 2;
      vars[2].dtype = 1;
    }
    const std::vector<std::pair<std::string, std::string>> aliases = {{"a/tied", "a/weight"}};
    const std::string path = written("v" + std::to_string(version) + ".bin", model_bin(version, "OldSpec", 2, vars, aliases));
    ct2::ModelBin f(path);
    EXPECT_EQ(f.version(), version);
    EXPECT_EQ(f.spec_name(), version >= 2 ? "OldSpec" : "");
    EXPECT_EQ(f.revision(), version >= 2 ? 2u : 1u);
    EXPECT_EQ(f.variables().size(), vars.size());
    EXPECT_EQ(f.aliases().size(), version >= 3 ? 1u : 0u);
    EXPECT_TRUE(same_bits(f.read("a/weight", torch::ScalarType::Undefined), kF32));
    EXPECT_EQ(f.entry("a/n").type, "I16");
    EXPECT_EQ(f.read_int("a/n"), -3);
    EXPECT_EQ(f.entry("a/q").type, "I8");
    EXPECT_TRUE(same_bits(f.read("a/q", torch::ScalarType::Undefined), torch::tensor({int8_t{-2}, int8_t{9}})));
    if (version >= 3) {
      EXPECT_TRUE(same_bits(f.read("a/tied", torch::kFloat32), kF32));
    }
    if (version >= 4) {
      EXPECT_TRUE(same_bits(f.read("a/h", torch::ScalarType::Undefined), kF16));
    }
  }
  // Old layouts lie in their own ways.
  FakeVariable odd = variable_of("a/weight", kF32);
  odd.dtype = 3;
  expect_refused(model_bin(3, "S", 1, {odd}), {"variable 'a/weight' item size: 3 is not 1, 2 or 4"});
  FakeVariable miscounted = variable_of("a/weight", kF32);
  miscounted.dtype = 4;
  miscounted.count = 24;  // bytes where the values are counted
  expect_refused(model_bin(2, "S", 1, {miscounted}),
                 {"variable 'a/weight' value count: 24 does not match dims [2, 3]: expected 6"});
}

// The int16 weight without a scale of CTranslate2's oldest int16 files: its global scale, 1000.
TEST(Ctranslate2, Int16WeightsDequantizeWithTheirScaleOrTheOldGlobalOne) {
  const torch::Tensor q = torch::tensor({1000, -2000, 512}, torch::kInt16);
  const std::string path = written("int16.bin", model_bin(6, "S", 1,
                                                          {variable_of("old/weight", q),
                                                           variable_of("new/weight", q),
                                                           variable_of("new/weight_scale", torch::tensor(512.0f)),
                                                           variable_of("count", torch::tensor({int16_t{4}}))}));
  ct2::ModelBin f(path);
  EXPECT_TRUE(f.is_quantized("old/weight"));
  EXPECT_TRUE(same_bits(f.read("old/weight", torch::kFloat32),
                        torch::tensor({1000 * (1.f / 1000), -2000 * (1.f / 1000), 512 * (1.f / 1000)})));
  EXPECT_TRUE(same_bits(f.read("new/weight", torch::kFloat32), torch::tensor({1000 / 512.f, -2000 / 512.f, 1.0f})));
  EXPECT_TRUE(same_bits(f.read("new/weight", torch::kInt16), q));
  EXPECT_FALSE(f.is_quantized("count"));  // not a weight: a plain integer
  EXPECT_EQ(f.read_int("count"), 4);
}

TEST(Ctranslate2, ReadsWhatCTranslate2sOwnWriterWrote) {
  const jstip::Json expected = jstip::read_json_file(kFixtures + "ct2_expected.json");
  ASSERT_EQ(expected.fields().size(), 3u);
  for (const auto& [file, want] : expected.fields()) {
    SCOPED_TRACE(file);
    ct2::ModelBin f(kFixtures + file);
    EXPECT_EQ(f.version(), uint32_t(want.find("version")->as_int()));
    EXPECT_EQ(f.spec_name(), want.find("spec")->as_string());
    EXPECT_EQ(f.revision(), uint32_t(want.find("revision")->as_int()));
    const auto& aliases = want.find("aliases")->items();
    ASSERT_EQ(f.aliases().size(), aliases.size());
    for (size_t i = 0; i < aliases.size(); ++i) {
      EXPECT_EQ(f.aliases()[i].name, aliases[i].items()[0].as_string());
      EXPECT_EQ(f.aliases()[i].target, aliases[i].items()[1].as_string());
    }
    const auto& variables = want.find("variables")->fields();
    ASSERT_EQ(f.variables().size(), variables.size());
    int dequantized_checked = 0;
    for (const auto& [name, v] : variables) {
      SCOPED_TRACE(name);
      const auto entry = f.entry(name);
      EXPECT_EQ(entry.type, v.find("type")->as_string());
      EXPECT_EQ(entry.shape, shape_of(*v.find("shape")));
      // The values as stored (integers exactly, floats widened to float64 exactly).
      const bool integer = entry.type == "I8" || entry.type == "I16" || entry.type == "I32";
      // (A quantized weight as stored: ask for its own integer type.)
      const torch::Dtype as = !integer ? torch::kFloat64
                              : !f.is_quantized(name) ? torch::kInt64
                              : entry.type == "I8"    ? torch::kInt8
                                                      : torch::kInt16;
      const torch::Tensor raw = f.read(name, as).to(integer ? torch::kInt64 : torch::kFloat64).reshape({-1});
      const auto& values = v.find("values")->items();
      ASSERT_EQ(raw.numel(), int64_t(values.size()));
      for (size_t i = 0; i < values.size(); ++i) {
        if (integer) EXPECT_EQ(raw[int64_t(i)].item<int64_t>(), values[i].as_int()) << "value " << i;
        else EXPECT_EQ(raw[int64_t(i)].item<double>(), values[i].as_double()) << "value " << i;
      }
      // Quantized weights: exactly CTranslate2's dequantization, and within half a step of the original.
      if (const jstip::Json* deq = v.find("dequantized")) {
        ASSERT_TRUE(f.is_quantized(name));
        const torch::Tensor got = f.read(name, torch::kFloat32).reshape({-1});
        const torch::Tensor scale = f.read(name + "_scale", torch::kFloat32).reshape({-1});
        const auto& original = v.find("original")->items();
        const int64_t per_row = got.numel() / scale.numel();
        for (int64_t i = 0; i < got.numel(); ++i) {
          EXPECT_EQ(got[i].item<float>(), float(deq->items()[size_t(i)].as_double())) << "value " << i;
          const double step = 1.0 / scale[i / per_row].item<float>();
          EXPECT_LE(std::abs(got[i].item<float>() - original[size_t(i)].as_double()), 0.5 * step * (1 + 1e-5))
              << "value " << i;
        }
        ++dequantized_checked;
      }
    }
    EXPECT_EQ(dequantized_checked, file == "ct2_bfloat16.bin" ? 0 : 3);
    // The tied weight is an alias that reads as its target.
    EXPECT_TRUE(same_bits(f.read("out/weight", torch::kFloat32), f.read("embeddings/weight", torch::kFloat32)));
    EXPECT_EQ(f.read_int("num_heads"), 6);
    EXPECT_EQ(f.read_int("flag"), 1);
  }
}

TEST(Ctranslate2, OpensFilesAndFoldersThroughOpenTensorSource) {
  const fs::path dir = temp_dir() / "whisper-like";
  fs::create_directories(dir);
  write_bytes((dir / "model.bin").string(), every_type_file());
  auto from_folder = jstip::weights::open_tensor_source(dir.string());
  EXPECT_EQ(from_folder->format(), "ctranslate2");
  EXPECT_EQ(from_folder->path(), dir.string());
  EXPECT_EQ(from_folder->entries().size(), 10u);
  EXPECT_TRUE(same_bits(from_folder->read("encoder/w", torch::kFloat32), kF32));
  auto from_file = jstip::weights::open_tensor_source((dir / "model.bin").string());
  EXPECT_EQ(from_file->format(), "ctranslate2");
  EXPECT_EQ(dynamic_cast<const ct2::ModelBin&>(*from_file).read_int("encoder/num_heads"), 6);
  ct2::ModelBin direct(dir.string());
  EXPECT_EQ(direct.file(), (dir / "model.bin").string());

  // A broken model.bin found in a folder names the file itself.
  const fs::path broken = temp_dir() / "broken";
  fs::create_directories(broken);
  write_bytes((broken / "model.bin").string(), "\x07");
  try {
    jstip::weights::open_tensor_source(broken.string());
    ADD_FAILURE() << "opened a 1-byte model.bin";
  } catch (const WeightsError& e) {
    expect_message(e, (broken / "model.bin").string(), {"header binary version: needs 4 bytes at offset 0"});
  }
  // What is neither: the message lists model.bin among what was expected.
  const fs::path empty = temp_dir() / "empty";
  fs::create_directories(empty);
  const std::string other = written("weights.bin", every_type_file());
  for (const std::string& path : {empty.string(), other}) {
    try {
      jstip::weights::open_tensor_source(path);
      ADD_FAILURE() << "opened " << path;
    } catch (const WeightsError& e) {
      expect_message(e, path, {"CTranslate2", "model.bin"});
    }
  }
}

TEST(Ctranslate2, EveryPrefixIsRefusedNamingTheFile) {
  const std::string bytes = every_type_file();
  const std::string path = temp_path("prefix.bin");
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(path, bytes.substr(0, n));
    try {
      ct2::ModelBin f(path);
      ADD_FAILURE() << "prefix of " << n << " bytes (of " << bytes.size() << ") accepted";
    } catch (const WeightsError& e) {
      EXPECT_NE(std::string(e.what()).find("'" + path + "'"), std::string::npos) << e.what();
    }
  }
  write_bytes(path, bytes);
  EXPECT_NO_THROW(ct2::ModelBin{path});
  // Bytes after the aliases are a file that is not what it says.
  expect_refused(bytes + "x", {"1 bytes follow the aliases at offset " + std::to_string(bytes.size()),
                               "expected the end of the file"});
  FakeVariable old = variable_of("w", kF32);
  old.dtype = 4;  // version 2: the item size
  EXPECT_NO_THROW(ct2::ModelBin(written("v2.bin", model_bin(2, "S", 1, {old}))));
  expect_refused(model_bin(2, "S", 1, {old}) + "xy", {"2 bytes follow the variables"});
}

TEST(Ctranslate2, TruncationsNameTheFieldTheyCut) {
  const std::string header = Bytes().u32(6).str("TestSpec").u32(3).u32(8).str();
  const auto vars = every_type();
  std::vector<size_t> starts;  // of each variable
  size_t at = header.size();
  for (const auto& v : vars) {
    starts.push_back(at);
    at += encode_variable(v, 6).size();
  }
  const size_t aliases_start = at;
  const std::string bytes = every_type_file();
  ASSERT_EQ(bytes.substr(0, header.size()), header);
  auto cut = [&](size_t n) { return bytes.substr(0, n); };
  expect_refused(cut(2), {"header binary version: needs 4 bytes at offset 0 but the file ends at 2"});
  expect_refused(cut(4), {"header spec name length: needs 2 bytes at offset 4"});
  expect_refused(cut(9), {"header spec name: string length 9 at offset 4 runs past the end of the file (3 bytes left)"});
  expect_refused(cut(header.size() - 2), {"header variable count: needs 4 bytes"});
  expect_refused(cut(header.size() + 3),
                 {"header variable count: 8 exceeds what the file can hold (3 bytes left hold at most 0 variables)"});
  // Variable 3 (decoder/linear/weight, I8 [3, 4]): name 2 + 22, rank 1, dims 8, dtype 1, byte count 4, data 12.
  const size_t v3 = starts[3];
  expect_refused(cut(v3 + 10), {"variable 3 name: string length 22 at offset " + std::to_string(v3) +
                                " runs past the end of the file (8 bytes left)"});
  expect_refused(cut(v3 + 24), {"variable 'decoder/linear/weight' rank: needs 1 bytes"});
  expect_refused(cut(v3 + 29), {"variable 'decoder/linear/weight' dims: needs 4 bytes at offset " + std::to_string(v3 + 29)});
  expect_refused(cut(v3 + 33), {"variable 'decoder/linear/weight' dtype: needs 1 bytes"});
  expect_refused(cut(v3 + 36), {"variable 'decoder/linear/weight' byte count: needs 4 bytes"});
  // Inside the data the dimensions ask for more than is left.
  expect_refused(cut(v3 + 40), {"variable 'decoder/linear/weight' dims: [3, 4] of I8 need 12 bytes (12 values of 1)",
                                "but only 2 bytes are left in the file"});
  expect_refused(cut(aliases_start + 2), {"header alias count: needs 4 bytes"});
  expect_refused(cut(aliases_start + 4 + 2 + 26 + 5), {"alias 'decoder/projection/weight' target: string length 22"});
  expect_refused(cut(aliases_start + 4), {"header alias count: 2 exceeds what the file can hold (0 bytes left"});
  expect_refused(cut(aliases_start + 4 + 2 + 10), {"alias 0 name: string length 26 at offset " +
                                                   std::to_string(aliases_start + 4) + " runs past the end"});
}

TEST(Ctranslate2, LyingFilesAreRefusedNamingTheVariable) {
  const FakeVariable w = variable_of("enc/w", kF32);  // F32 [2, 3]
  auto with = [](FakeVariable v, auto&& change) {
    change(v);
    return v;
  };
  // Header.
  expect_refused(Bytes().u32(7).str("S").u32(1).u32(0).u32(0).str(),
                 {"header binary version: 7 is not supported: expected 1 to 6"});
  expect_refused(Bytes().u32(0).u32(0).str(), {"header binary version: 0 is not supported"});
  expect_refused(Bytes().u32(6).str("S").u32(1).u32(1000000).u32(0).str(),
                 {"header variable count: 1000000 exceeds what the file can hold"});
  expect_refused(model_bin(6, "S", 1, {w}).substr(0, 4) + Bytes().u16(0).str(), {"header spec name: length 0"});
  expect_refused(Bytes().u32(6).u16(2).raw("SS").u32(1).u32(0).u32(0).str(),
                 {"header spec name: 'SS' does not end in a NUL byte"});
  // Variables.
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.count = 1000; })}),
                 {"variable 'enc/w' byte count: 1000 does not match dims [2, 3] of F32: expected 24"});
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.count = 0xffffffff; })}),
                 {"variable 'enc/w' byte count: 4294967295 does not match"});
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.dims = {1, 1, 1, 1, 1, 1, 1, 1, 6}; })}),
                 {"variable 'enc/w' rank: 9 is more than 8"});
  EXPECT_NO_THROW(ct2::ModelBin(written("rank8.bin", model_bin(6, "S", 1, {with(w, [](auto& v) {
                                          v.dims = {1, 1, 1, 1, 1, 1, 2, 3};
                                        })}))));
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.dims = {65536, 65536, 65536, 65536}; })}),
                 {"variable 'enc/w' dims: [65536, 65536, 65536, 65536] of F32 need more than 2^62 values"});
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.dims = {100000, 100000}; })}),
                 {"variable 'enc/w' dims: [100000, 100000] of F32 need 40000000000 bytes"});
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.dtype = 9; })}),
                 {"variable 'enc/w' dtype: 9 is not a CTranslate2 type (0 F32, 1 I8, 2 I16, 3 I32, 4 F16, 5 BF16)"});
  expect_refused(model_bin(6, "S", 1, {w, variable_of("enc/w", kF16)}), {"variable 'enc/w': appears twice"});
  expect_refused(model_bin(6, "S", 1, {with(w, [](auto& v) { v.name = ""; })}), {"variable 0 name: is empty"});
  expect_refused(model_bin(6, "S", 1, {w, with(w, [](auto& v) { v.name = std::string("x\n\x01", 3); v.dtype = 9; })}),
                 {"variable 'x\\x0a\\x01' dtype"});  // control bytes escaped
  // Aliases.
  expect_refused(model_bin(6, "S", 1, {w}, {{"enc/tied", "nope"}}),
                 {"alias 'enc/tied' target: 'nope' is not a variable or an earlier alias in the file"});
  expect_refused(model_bin(6, "S", 1, {w}, {{"enc/w", "enc/w"}}),
                 {"alias 'enc/w': is already the name of a variable or an alias"});
  expect_refused(model_bin(6, "S", 1, {w}, {{"a", "enc/w"}, {"a", "enc/w"}}), {"alias 'a': is already the name"});
  expect_refused(model_bin(6, "S", 1, {w}, {{"", "enc/w"}}), {"alias 0 name: is empty"});
  {
    std::string bytes = model_bin(6, "S", 1, {w});
    const uint32_t huge = 1u << 30;
    std::memcpy(&bytes[bytes.size() - 4], &huge, 4);
    expect_refused(bytes, {"header alias count: 1073741824 exceeds what the file can hold"});
  }
  // An alias of an alias resolves to the variable.
  const std::string chained = written("chained.bin", model_bin(6, "S", 1, {w}, {{"a", "enc/w"}, {"b", "a"}}));
  EXPECT_EQ(ct2::ModelBin(chained).aliases()[1].variable, "enc/w");

  // Scales that cannot serve their weight: refused when the weight is read.
  const FakeVariable q = variable_of("q/weight", kI8);  // 3 rows
  expect_refused(model_bin(6, "S", 1, {q, variable_of("q/weight_scale", torch::tensor({1.0f, 2.0f}))}),
                 {"variable 'q/weight': its scale 'q/weight_scale' holds 2 values, expected 3 (one per row of [3, 4])"});
  expect_refused(model_bin(6, "S", 1, {q, variable_of("q/weight_scale", torch::tensor({1, 2, 3}, torch::kInt32))}),
                 {"variable 'q/weight': its scale 'q/weight_scale' is I32, expected a float type"});
}

// The shipped Whisper tiny.en (models/, installed by scripts/install-venv.sh), against
// tests/weights/fixtures/whisper_tiny_ct2_values.json (an independent Python parse).
TEST(Ctranslate2, ReadsTheShippedWhisperTinyEn) {
  const std::string folder = std::string(JSTIP_SOURCE_DIR) + "/models/whisper-tiny.en";
  if (!fs::exists(folder + "/model.bin")) GTEST_SKIP() << folder << "/model.bin absent (scripts/install-venv.sh installs it)";
  const auto parse_start = std::chrono::steady_clock::now();
  ct2::ModelBin f(folder);
  const double parse_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - parse_start).count();
  EXPECT_EQ(f.version(), 6u);
  EXPECT_EQ(f.spec_name(), "WhisperSpec");
  EXPECT_EQ(f.revision(), 3u);
  EXPECT_EQ(f.variables().size(), 148u);
  std::map<std::string, int> by_type;
  for (const auto& v : f.variables()) ++by_type[ct2::data_type_name(uint32_t(v.dtype))];
  EXPECT_EQ(by_type, (std::map<std::string, int>{{"F16", 139}, {"I8", 5}, {"I16", 4}}));
  ASSERT_EQ(f.aliases().size(), 1u);
  EXPECT_EQ(f.aliases()[0].name, "decoder/projection/weight");
  EXPECT_EQ(f.aliases()[0].target, "decoder/embeddings/weight");
  EXPECT_EQ(f.entries().size(), 149u);
  EXPECT_EQ(f.entry("encoder/conv1/weight").shape, (std::vector<int64_t>{384, 80, 3}));
  EXPECT_EQ(f.entry("encoder/conv1/weight").type, "F16");
  EXPECT_EQ(f.entry("decoder/projection/weight").shape, (std::vector<int64_t>{51864, 384}));
  EXPECT_EQ(f.read_int("encoder/num_heads"), 6);
  EXPECT_EQ(f.read_int("decoder/num_heads"), 6);
  EXPECT_FALSE(f.is_quantized("decoder/embeddings/weight"));

  const jstip::Json fixture = jstip::read_json_file(kFixtures + "whisper_tiny_ct2_values.json");
  EXPECT_EQ(int64_t(f.variables().size()), fixture.find("variables")->as_int());
  const auto& tensors = fixture.find("tensors")->fields();
  ASSERT_EQ(tensors.size(), 10u);
  for (const auto& [name, want] : tensors) {
    SCOPED_TRACE(name);
    EXPECT_EQ(f.entry(name).type, want.find("type")->as_string());
    EXPECT_EQ(f.entry(name).shape, shape_of(*want.find("shape")));
    const torch::Tensor t = f.read(name, torch::kFloat64).reshape({-1});
    const auto& first = want.find("first")->items();
    for (size_t j = 0; j < first.size(); ++j)
      EXPECT_NEAR(t[int64_t(j)].item<double>(), first[j].as_double(), 1e-6) << "value " << j;
    const double sum = want.find("sum")->as_double();
    EXPECT_NEAR(t.sum().item<double>(), sum, 1e-6 * std::max(1.0, std::abs(sum)));
  }

  const auto start = std::chrono::steady_clock::now();
  int64_t values = 0;
  for (const auto& e : f.entries()) values += f.read(e.name, torch::kFloat32).numel();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("header parsed in %.4f s; all %zu entries (%lld values) read as f32 in %.2f s\n", parse_seconds,
              f.entries().size(), static_cast<long long>(values), seconds);
  EXPECT_LT(seconds, 10.0);
}
