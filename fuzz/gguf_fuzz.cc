// Fuzz target: the GGUF reader (sdk/src/gguf.cc) on arbitrary bytes.
// Properties: the only exception is WeightsError naming the file; a file that
// parses lists each tensor with its promised shape, reads every tensor of a
// supported type as float32 with that shape (no read past the data), refuses
// every other type with WeightsError naming the file and the tensor, and its
// typed metadata getters either answer or throw WeightsError naming the file.
#include <torch/torch.h>

#include "fuzz/fuzz_util.h"
#include "jstip/weights/gguf.h"

namespace gg = jstip::gguf;
using jstip::weights::WeightsError;

namespace {

bool readable(const std::string& type) {
  return type == "F32" || type == "F16" || type == "BF16" || type == "Q8_0" || type == "Q4_0" || type == "Q4_1";
}

bool printable(const std::string& name) {
  if (name.size() > 160) return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '\'') return false;
  return true;
}

// Each getter on each key: an answer or a WeightsError naming the file.
void exercise_getters(const gg::GgufFile& f) {
  for (const auto& entry : f.metadata()) {
    const std::string& key = entry.first;
    auto call = [&](auto&& get) {
      try {
        get();
      } catch (const WeightsError& e) {
        jstip::fuzz::require_names(e, f.path());
      }
    };
    call([&] { f.get_string(key); });
    call([&] { f.get_int(key); });
    call([&] { f.get_float(key); });
    call([&] { f.get_bool(key, false); });
    call([&] { f.get_strings(key); });
    call([&] { f.get_ints(key); });
    call([&] { f.get_floats(key); });
    if (f.value(key).array_size() != f.value(key).integers.size() + f.value(key).reals.size() +
                                         f.value(key).strings.size())
      jstip::fuzz::finding("key '" + key + "' holds values in more than one array");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static jstip::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  const jstip::fuzz::NoFdLeak no_fd_leak;
  std::unique_ptr<gg::GgufFile> f;
  try {
    f = std::make_unique<gg::GgufFile>(path);
  } catch (const WeightsError& e) {
    jstip::fuzz::require_names(e, path);
    return 0;
  }
  exercise_getters(*f);
  const auto entries = f->entries();
  if (entries.size() != f->tensor_infos().size()) jstip::fuzz::finding("entries() and tensor_infos() differ in size");
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    const auto& info = f->tensor_infos()[i];
    int64_t values = 1;
    for (int64_t d : e.shape) values *= d;  // the reader bounds the product below 2^63
    if (e.shape.size() != info.ne.size()) jstip::fuzz::finding("tensor '" + e.name + "' lists another rank");
    if (!readable(e.type)) {
      try {
        f->read(e.name, torch::kFloat32);
        jstip::fuzz::finding("tensor '" + e.name + "' of type " + e.type + " was read");
      } catch (const WeightsError& err) {
        jstip::fuzz::require_names(err, path);
        // Names with control bytes or over 160 bytes are escaped or cut in messages.
        if (printable(e.name)) jstip::fuzz::require_names(err, "'" + e.name + "'");
      }
      continue;
    }
    if (values > (int64_t{1} << 24)) continue;  // accepted means its bytes are in the file: nothing more to learn
    try {
      const torch::Tensor t = f->read(e.name, torch::kFloat32);
      if (t.sizes().vec() != e.shape || t.scalar_type() != torch::kFloat32 || !t.is_contiguous())
        jstip::fuzz::finding("tensor '" + e.name + "' read with another shape or dtype");
    } catch (const WeightsError& err) {
      jstip::fuzz::finding("the header was accepted but tensor '" + e.name + "' could not be read: " + err.what());
    }
  }
  return 0;
}
