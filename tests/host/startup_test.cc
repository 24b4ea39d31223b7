#include "host/runtime/startup.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>

namespace {

TEST(Startup, FindsTheLoadedBlasAndMeasuresIt) {
  auto report = jstip::host::check_blas(/*always_measure=*/true);
  EXPECT_FALSE(report.library.empty());
  EXPECT_GT(report.gflops, 0.0);
  // The verdict follows the library actually loaded.
  bool optimized = report.library.find("openblas") != std::string::npos;
  if (optimized) EXPECT_FALSE(report.slow) << report.library << " at " << report.gflops << " GFLOP/s";
  if (report.library.find("/blas/") != std::string::npos) EXPECT_TRUE(report.slow);
}

TEST(Startup, SetsThreadCount) {
  int before = at::get_num_threads();
  EXPECT_EQ(jstip::host::init_threads(2), 2);
  EXPECT_EQ(at::get_num_threads(), 2);
  jstip::host::init_threads(before);
}

TEST(Startup, AllocatorTuningLeavesUserSettingsAndResultsAlone) {
  setenv("MALLOC_TRIM_THRESHOLD_", "1000000", 1);
  EXPECT_FALSE(jstip::host::tune_allocator());  // the user's choice wins
  unsetenv("MALLOC_TRIM_THRESHOLD_");
#ifdef JSTIP_SANITIZE
  EXPECT_FALSE(jstip::host::tune_allocator());  // ASan replaces glibc's malloc: mallopt() tunes nothing
#else
  EXPECT_TRUE(jstip::host::tune_allocator());
#endif
  // Large tensors, freed and allocated again from the kept heap, compute as before.
  torch::manual_seed(0);
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  auto first = torch::mm(a, b);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::equal(torch::mm(a, b), first));
}

}  // namespace
