// NumPy .npy files of float32 (format 1.0 written; 1.x-3.x read), for
// feature dumps (`jstip features`, `jstip encode`) and test fixtures that
// numpy.load / numpy.save read and write as they are.
#pragma once

#include <torch/types.h>

#include <stdexcept>
#include <string>

namespace jstip::data {

class NpyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes `tensor` (rank 1..8, any floating dtype, any device; converted to
// contiguous float32 on the CPU) as little-endian '<f4' in C order. Written
// to PATH.tmp.<pid> and renamed, so a reader never sees half a file.
void write_npy_float32(const std::string& path, const torch::Tensor& tensor);

// Reads a C-order '<f4' .npy file into a float32 tensor of its shape.
// Anything else (another dtype, Fortran order, a header or data size that
// does not fit the file) is an NpyError naming the file and what was found.
torch::Tensor read_npy_float32(const std::string& path);

}  // namespace jstip::data
