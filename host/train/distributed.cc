#include "host/train/distributed.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL  // CUDA builds of LibTorch: NCCL for GPU tensors
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <torch/torch.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

namespace jstip::train {

struct Distributed::Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;  // Gloo on CPU, NCCL on CUDA
  bool cuda = false;                              // collectives take CUDA tensors
};

namespace {

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  if (!value || !*value) return fallback;
  char* end = nullptr;
  long parsed = std::strtol(value, &end, 10);
  if (*end != '\0') throw std::invalid_argument(std::string(name) + "='" + value + "' is not an integer");
  return static_cast<int>(parsed);
}

void wait_for(c10::intrusive_ptr<c10d::Work> work, const char* what, int rank) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(rank) + ": " + what +
                             " failed; another rank probably died or hung (" + e.what() + ")");
  }
}

}  // namespace

Distributed::Distributed(int rank, int world_size, std::unique_ptr<Group> group)
    : rank_(rank), world_size_(world_size), group_(std::move(group)) {}

Distributed::~Distributed() = default;

std::unique_ptr<Distributed> Distributed::from_environment(std::chrono::seconds timeout, bool cuda) {
  const int world_size = env_int("WORLD_SIZE", 1);
  const int rank = env_int("RANK", 0);
  if (world_size <= 1) return std::unique_ptr<Distributed>(new Distributed(0, 1, nullptr));
  if (rank < 0 || rank >= world_size)
    throw std::invalid_argument("RANK=" + std::to_string(rank) + " is outside WORLD_SIZE=" + std::to_string(world_size));
  const char* addr = std::getenv("MASTER_ADDR");
  const int port = env_int("MASTER_PORT", 29500);
  if (!addr) throw std::invalid_argument("WORLD_SIZE > 1 needs MASTER_ADDR and MASTER_PORT (as torchrun sets them)");

  auto group = std::make_unique<Group>();
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(port);
  store_options.isServer = rank == 0;
  store_options.numWorkers = world_size;
  store_options.timeout = timeout;
  group->store = c10::make_intrusive<c10d::TCPStore>(addr, store_options);
  if (cuda) {
#ifdef USE_C10D_NCCL
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    group->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(group->store, rank, world_size, options);
    group->cuda = true;
    spdlog::info("rank {} of {} joined the nccl group at {}:{}", rank, world_size, addr, port);
#else
    throw std::invalid_argument("device cuda with WORLD_SIZE > 1 needs a LibTorch built with NCCL (USE_C10D_NCCL)");
#endif
  } else {
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(addr));
    group->group = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, rank, world_size, options);
    spdlog::info("rank {} of {} joined the gloo group at {}:{}", rank, world_size, addr, port);
  }
  return std::unique_ptr<Distributed>(new Distributed(rank, world_size, std::move(group)));
}

void Distributed::all_reduce(torch::Tensor& flat, bool sum) {
  // NCCL reduces CUDA tensors only: host-side values make a round trip.
  const bool move = group_->cuda && !flat.is_cuda();
  std::vector<torch::Tensor> tensors = {move ? flat.to(torch::kCUDA) : flat};
  c10d::AllreduceOptions options;
  options.reduceOp = sum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX;
  wait_for(group_->group->allreduce(tensors, options), "all-reduce", rank_);
  if (move) flat.copy_(tensors[0].to(flat.device()));
}

double Distributed::sum(double value) {
  if (!active()) return value;
  auto t = torch::tensor({value}, torch::kDouble);
  all_reduce(t, true);
  return t.item<double>();
}

std::vector<double> Distributed::sum(std::vector<double> values) {
  if (!active() || values.empty()) return values;
  auto t = torch::tensor(values, torch::kDouble);
  all_reduce(t, true);
  return std::vector<double>(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
}

double Distributed::spread(double value) {
  if (!active()) return 0;
  auto t = torch::tensor({value, -value}, torch::kDouble);
  all_reduce(t, false);  // max of value, max of -value = -min
  return t[0].item<double>() + t[1].item<double>();
}

void Distributed::sum_gradients(const std::vector<torch::Tensor>& parameters, int64_t bucket_bytes) {
  if (!active()) return;
  // Flat buckets: one collective per ~25 MB instead of one per tensor.
  std::vector<torch::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> grads;
    for (const auto& p : bucket) grads.push_back(p.grad().reshape({-1}));
    torch::Tensor flat = torch::cat(grads);
    all_reduce(flat, true);
    int64_t offset = 0;
    for (const auto& p : bucket) {
      const int64_t n = p.grad().numel();
      p.grad().copy_(flat.slice(0, offset, offset + n).view_as(p.grad()));
      offset += n;
    }
    bucket.clear();
    bytes = 0;
  };
  for (const auto& p : parameters) {
    if (!p.grad().defined()) continue;
    bucket.push_back(p);
    bytes += p.grad().numel() * p.grad().element_size();
    if (bytes >= bucket_bytes) flush();
  }
  flush();
}

void Distributed::broadcast_from_rank0(const std::vector<torch::Tensor>& tensors) {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one = {t.data()};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    wait_for(group_->group->broadcast(one, options), "broadcast", rank_);
  }
}

int launch_local_ranks(int nproc, const std::vector<std::string>& argv) {
  if (nproc < 1) throw std::invalid_argument("--nproc must be >= 1");
  std::random_device seed;
  const int port = 20000 + static_cast<int>(seed() % 20000);
  const int threads = std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(nproc));
  std::vector<pid_t> children;
  for (int rank = 0; rank < nproc; ++rank) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::setenv("RANK", std::to_string(rank).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      ::setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv("/proc/self/exe", args.data());
      std::_Exit(127);
    }
    children.push_back(pid);
  }
  int result = 0;
  for (size_t done = 0; done < children.size(); ++done) {
    int status = 0;
    pid_t pid = ::wait(&status);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code != 0 && result == 0) {
      result = code;
      spdlog::error("a rank (pid {}) exited with status {}; stopping the others", pid, code);
      for (pid_t other : children)
        if (other != pid) ::kill(other, SIGTERM);
    }
  }
  return result;
}

}  // namespace jstip::train
