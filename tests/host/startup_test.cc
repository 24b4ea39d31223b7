#include "host/runtime/startup.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

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

}  // namespace
