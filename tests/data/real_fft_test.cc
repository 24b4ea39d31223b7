#include "host/data/real_fft.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <thread>
#include <vector>

namespace jstip::data {
namespace {

// The largest error against LibTorch's rfft, relative to the largest magnitude.
double relative_error(const torch::Tensor& ours, const torch::Tensor& rows) {
  const auto expected = torch::fft::rfft(rows, c10::nullopt, -1);
  return ((ours - expected).abs().max() / expected.abs().max()).item<double>();
}

TEST(RealFft, MatchesTorchRfftOnManyRows) {
  torch::manual_seed(0);
  for (int64_t size : {8, 400 + 112, 1024}) {
    const auto rows = torch::randn({37, size});
    const RealFft fft(size);
    const auto spectrum = fft.forward(rows);
    ASSERT_EQ(spectrum.sizes(), (std::vector<int64_t>{37, size / 2 + 1}));
    EXPECT_EQ(spectrum.scalar_type(), torch::kComplexFloat);
    EXPECT_LT(relative_error(spectrum, rows), 1e-6) << "size " << size;
  }
}

TEST(RealFft, ZeroRowsGiveAnEmptySpectrum) {
  EXPECT_EQ(RealFft(512).forward(torch::zeros({0, 512})).size(0), 0);
}

TEST(RealFft, RejectsInputsItCannotRunOn) {
  EXPECT_THROW(RealFft(6), std::invalid_argument);  // rows would not stay aligned
  const RealFft fft(16);
  EXPECT_THROW(fft.forward(torch::zeros({4, 8})), c10::Error);                      // wrong length
  EXPECT_THROW(fft.forward(torch::zeros({4, 16}, torch::kFloat64)), c10::Error);    // wrong type
  EXPECT_THROW(fft.forward(torch::zeros({4, 32}).narrow(1, 0, 16)), c10::Error);   // not contiguous
  // Contiguous but shifted by one float from LibTorch's aligned start.
  const auto shifted = torch::zeros({4 * 16 + 1}).narrow(0, 1, 4 * 16).view({4, 16});
  try {
    fft.forward(shifted);
    FAIL() << "a misaligned buffer was accepted";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("aligned"), std::string::npos) << e.what();
  }
}

// Data-loader workers compute features in parallel: plans are made under a
// lock and run concurrently.
TEST(RealFft, ThreadsPlanAndRunAtOnce) {
  torch::manual_seed(1);
  std::vector<torch::Tensor> inputs;
  for (int i = 0; i < 8; ++i) inputs.push_back(torch::randn({64, int64_t(64) << (i % 4)}));
  std::vector<double> errors(inputs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i)
    threads.emplace_back([&, i] {
      const RealFft fft(inputs[i].size(1));
      errors[i] = relative_error(fft.forward(inputs[i]), inputs[i]);
    });
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < errors.size(); ++i) EXPECT_LT(errors[i], 1e-6) << "thread " << i;
}

}  // namespace
}  // namespace jstip::data
