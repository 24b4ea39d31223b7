// Fuzz target: the GGUF reader (sdk/src/gguf.cc) on arbitrary bytes.
// Properties: the only exception is WeightsError naming the file; a file that
// parses reads every tensor of a supported type with the shape its header
// promised, or refuses it with WeightsError (no read past the data).
#include <torch/torch.h>

#include "fuzz/fuzz_util.h"
#include "jstip/weights/gguf.h"

namespace gg = jstip::gguf;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static jstip::fuzz::MemFile file;
  const std::string& path = file.write(data, size);
  const jstip::fuzz::NoFdLeak no_fd_leak;
  try {
    gg::GgufFile f(path);
    for (const auto& e : f.entries()) {
      if (e.shape.size() > 0) {
        int64_t values = 1;
        for (int64_t d : e.shape) values *= d;
        if (values > (int64_t{1} << 24)) continue;  // a valid but large tensor: reading it proves nothing more
      }
      try {
        torch::Tensor t = f.read(e.name, torch::kFloat32);
        if (t.sizes().vec() != e.shape) jstip::fuzz::finding("tensor '" + e.name + "' read with another shape");
      } catch (const jstip::weights::WeightsError& err) {
        jstip::fuzz::require_names(err, path);
      }
    }
  } catch (const jstip::weights::WeightsError& e) {
    jstip::fuzz::require_names(e, path);
  }
  return 0;
}
