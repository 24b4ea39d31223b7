// Fuzz target: the CTranslate2 model.bin reader (sdk/src/ctranslate2.cc) on arbitrary bytes.
// Properties: the only exception is WeightsError naming the file; a file that
// parses lists its variables then its aliases, each alias with its variable's
// shape and type; every entry reads as float32 with its listed shape (no read
// past the data), except a quantized weight whose scale cannot serve it, which
// is refused naming the file and the weight; read_int answers for a one-value
// integer and refuses everything else naming the file.
#include <torch/torch.h>

#include "fuzz/fuzz_util.h"
#include "jstip/weights/ctranslate2.h"

namespace ct2 = jstip::ctranslate2;
using jstip::weights::WeightsError;

namespace {

bool printable(const std::string& name) {
  if (name.size() > 160) return false;
  for (unsigned char c : name)
    if (c < 0x20 || c == 0x7f || c == '\'') return false;
  return true;
}

bool is_integer(ct2::DataType t) { return t == ct2::DataType::I8 || t == ct2::DataType::I16 || t == ct2::DataType::I32; }

void check_entries(const ct2::ModelBin& f) {
  const auto entries = f.entries();
  if (entries.size() != f.variables().size() + f.aliases().size())
    jstip::fuzz::finding("entries() is not the variables and the aliases");
  for (size_t i = 0; i < entries.size(); ++i) {
    const bool alias = i >= f.variables().size();
    const ct2::Variable& v = alias ? f.variable(f.aliases()[i - f.variables().size()].variable) : f.variables()[i];
    if (entries[i].shape != v.shape || entries[i].type != ct2::data_type_name(uint32_t(v.dtype)))
      jstip::fuzz::finding("entry '" + entries[i].name + "' lists another shape or type than its variable");
    if (&f.variable(entries[i].name) != &v) jstip::fuzz::finding("entry '" + entries[i].name + "' resolves elsewhere");
    uint64_t values = 1;
    for (int64_t d : v.shape) values *= uint64_t(d);  // the reader bounds the product by the file size
    if (v.bytes != values * ct2::item_size(v.dtype)) jstip::fuzz::finding("variable '" + v.name + "' has a wrong size");
  }
}

void check_reads(const ct2::ModelBin& f, const std::string& path) {
  for (const auto& e : f.entries()) {
    const ct2::Variable& v = f.variable(e.name);
    if (v.bytes > (uint64_t{1} << 24)) continue;  // its bytes are in the file: nothing more to learn
    try {
      const torch::Tensor t = f.read(e.name, torch::kFloat32);
      if (t.sizes().vec() != e.shape || t.scalar_type() != torch::kFloat32 || !t.is_contiguous())
        jstip::fuzz::finding("entry '" + e.name + "' read with another shape or dtype");
    } catch (const WeightsError& err) {
      // Only a quantized weight may fail, on its scale (a wrong count or type).
      if (!f.is_quantized(e.name))
        jstip::fuzz::finding("the header was accepted but '" + e.name + "' could not be read: " + err.what());
      jstip::fuzz::require_names(err, path);
      jstip::fuzz::require_names(err, "scale");
      if (printable(v.name)) jstip::fuzz::require_names(err, "'" + v.name + "'");
    }
    try {
      const int64_t value = f.read_int(e.name);
      if (!is_integer(v.dtype) || v.bytes != ct2::item_size(v.dtype) || f.is_quantized(e.name))
        jstip::fuzz::finding("read_int answered " + std::to_string(value) + " for '" + e.name + "'");
    } catch (const WeightsError& err) {
      jstip::fuzz::require_names(err, path);
      if (is_integer(v.dtype) && v.bytes == ct2::item_size(v.dtype) && !f.is_quantized(e.name))
        jstip::fuzz::finding("read_int refused the integer scalar '" + e.name + "': " + err.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static jstip::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  const jstip::fuzz::NoFdLeak no_fd_leak;
  std::unique_ptr<ct2::ModelBin> f;
  try {
    f = std::make_unique<ct2::ModelBin>(path);
  } catch (const WeightsError& e) {
    jstip::fuzz::require_names(e, path);
    return 0;
  }
  if (f->version() < 1 || f->version() > 6) jstip::fuzz::finding("accepted binary version " + std::to_string(f->version()));
  check_entries(*f);
  check_reads(*f, path);
  try {
    f->read("", torch::kFloat32);
    jstip::fuzz::finding("read a variable with no name");
  } catch (const WeightsError& e) {
    jstip::fuzz::require_names(e, path);
  }
  return 0;
}
