// Fuzz target: the safetensors reader (sdk/src/safetensors.cc) on arbitrary
// bytes. Properties: the only exception is SafetensorsError naming the file;
// a header that passes read_header() loads, and every tensor it loads has
// the dtype, shape and byte size the header promised (no read past the data).
#include <torch/torch.h>

#include "fuzz/fuzz_util.h"
#include "jstip/safetensors.h"

namespace st = jstip::safetensors;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static jstip::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  const jstip::fuzz::NoFdLeak no_fd_leak;
  st::Header header;
  try {
    header = st::read_header(path);
  } catch (const st::SafetensorsError& e) {
    jstip::fuzz::require_names(e, path);
    return 0;
  }
  st::TensorMap tensors;
  st::Metadata metadata;
  try {
    tensors = st::load_file(path, {}, &metadata);
  } catch (const st::SafetensorsError& e) {
    jstip::fuzz::finding(std::string("read_header() accepted the file but load_file() failed: ") + e.what());
  }
  if (tensors.size() != header.tensors.size() || metadata != header.metadata)
    jstip::fuzz::finding("load_file() returned other tensors or metadata than read_header() listed");
  for (const auto& [name, info] : header.tensors) {
    const torch::Tensor& t = tensors.at(name);
    if (st::dtype_name(t.scalar_type()) != info.dtype || t.sizes().vec() != info.shape ||
        uint64_t(t.numel()) * t.element_size() != info.end - info.begin)
      jstip::fuzz::finding("tensor '" + name + "' does not match its header entry");
  }
  return 0;
}
