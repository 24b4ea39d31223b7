#include "host/data/cmvn.h"

#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace jstip::data {

void GlobalCmvn::accumulate(const torch::Tensor& features, const torch::Tensor& frame_counts) {
  TORCH_CHECK(features.dim() == 3, "cmvn: features must be (batch, frames, bins)");
  auto valid = (torch::arange(features.size(1), torch::kInt64).unsqueeze(0) < frame_counts.unsqueeze(1))
                   .unsqueeze(-1)
                   .to(torch::kFloat64);
  auto x = features.to(torch::kFloat64) * valid;
  auto s = x.sum(torch::IntArrayRef{0, 1});
  auto ss = (x * x).sum(torch::IntArrayRef{0, 1});
  if (!sum_.defined()) {
    sum_ = torch::zeros_like(s);
    sum_squares_ = torch::zeros_like(s);
  }
  TORCH_CHECK(sum_.size(0) == s.size(0), "cmvn: feature dimension changed from ", sum_.size(0), " to ", s.size(0));
  sum_ += s;
  sum_squares_ += ss;
  frames_ += frame_counts.sum().item<int64_t>();
}

void GlobalCmvn::finalize(double floor_variance) {
  if (frames_ == 0) throw std::runtime_error("cmvn: no frames accumulated");
  auto mean = sum_ / double(frames_);
  auto variance = torch::clamp_min(sum_squares_ / double(frames_) - mean * mean, floor_variance);
  mean_ = mean.to(torch::kFloat32);
  istd_ = variance.rsqrt().to(torch::kFloat32);
}

torch::Tensor GlobalCmvn::apply(const torch::Tensor& features) const {
  if (!mean_.defined()) throw std::runtime_error("cmvn: statistics not finalized or loaded");
  return (features - mean_) * istd_;
}

void GlobalCmvn::save(const std::string& path) const {
  if (!mean_.defined()) throw std::runtime_error("cmvn: nothing to save, call finalize() first");
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp);
    out << std::setprecision(9) << "dim " << mean_.size(0) << "\nframes " << frames_ << "\nmean";
    for (int64_t i = 0; i < mean_.size(0); ++i) out << ' ' << mean_[i].item<float>();
    out << "\nistd";
    for (int64_t i = 0; i < istd_.size(0); ++i) out << ' ' << istd_[i].item<float>();
    out << '\n';
    if (!out) throw std::runtime_error(path + ": cannot write CMVN statistics");
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) throw std::runtime_error(path + ": rename failed");
}

GlobalCmvn GlobalCmvn::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open CMVN statistics");
  GlobalCmvn cmvn;
  int64_t dim = -1;
  std::string line;
  int line_no = 0;
  std::vector<float> mean, istd;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    std::vector<float>* target = key == "mean" ? &mean : key == "istd" ? &istd : nullptr;
    if (key == "dim") fields >> dim;
    else if (key == "frames") fields >> cmvn.frames_;
    else if (target) for (float v; fields >> v;) target->push_back(v);
    else if (!key.empty()) throw std::runtime_error(path + ":" + std::to_string(line_no) + ": unknown key '" + key + "'");
  }
  if (dim <= 0 || int64_t(mean.size()) != dim || int64_t(istd.size()) != dim)
    throw std::runtime_error(path + ": expected 'dim N' and N values for mean and istd, got dim " +
                             std::to_string(dim) + ", " + std::to_string(mean.size()) + " means, " +
                             std::to_string(istd.size()) + " istd");
  cmvn.mean_ = torch::tensor(mean);
  cmvn.istd_ = torch::tensor(istd);
  return cmvn;
}

}  // namespace jstip::data
