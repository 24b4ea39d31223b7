// Data-parallel training over PyTorch's own c10d: ProcessGroupGloo on CPU,
// ProcessGroupNCCL when training on CUDA (LibTorch built with NCCL).
// Launched like torchrun (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), so
// torchrun, SLURM wrappers or `jstip train --nproc N` all work.
//
// Each rank trains on its shard of every data source; gradients are summed
// across ranks in flat buckets after every micro-batch's backward pass, so
// parameters stay identical on every rank. Only rank 0 writes checkpoints
// and logs. A rank that dies makes the others fail at the next collective,
// after `timeout`, with a message saying so.
#pragma once

#include <torch/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace jstip::train {

class Distributed {
 public:
  // World of one (no process group) unless WORLD_SIZE > 1 is set. `cuda`
  // picks NCCL (an error when this LibTorch has none).
  static std::unique_ptr<Distributed> from_environment(std::chrono::seconds timeout, bool cuda = false);
  ~Distributed();

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  bool active() const { return world_size_ > 1; }

  double sum(double value);                                 // across ranks
  std::vector<double> sum(std::vector<double> values);      // several values in one collective
  void sum_gradients(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes = 25 << 20);
  void broadcast_from_rank0(const std::vector<torch::Tensor>& tensors);
  // max - min of `value` across ranks (e.g. a parameter checksum).
  double spread(double value);

 private:
  struct Group;
  Distributed(int rank, int world_size, std::unique_ptr<Group> group);
  void all_reduce(torch::Tensor& flat, bool sum);
  int rank_;
  int world_size_;
  std::unique_ptr<Group> group_;
};

// `jstip train --nproc N`: runs N copies of this command with torchrun's
// variables on one machine, each with its share of the CPU threads; returns
// the first non-zero exit status (stopping the others) or 0.
int launch_local_ranks(int nproc, const std::vector<std::string>& argv);

}  // namespace jstip::train
