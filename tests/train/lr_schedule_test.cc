#include "host/train/lr_schedule.h"

#include <gtest/gtest.h>

namespace {

using jstip::train::LrSchedule;

TEST(LrSchedule, WarmupThenCosineToTheFloor) {
  LrSchedule s{1.0, 0.1, 4, 14, "cosine"};
  EXPECT_DOUBLE_EQ(s.at(0), 0.25);
  EXPECT_DOUBLE_EQ(s.at(3), 1.0);
  EXPECT_DOUBLE_EQ(s.at(4), 1.0);                     // decay starts at its peak
  EXPECT_NEAR(s.at(9), 0.1 + 0.9 * 0.5, 1e-12);       // half way: cos(pi/2)
  EXPECT_DOUBLE_EQ(s.at(14), 0.1);
  EXPECT_DOUBLE_EQ(s.at(100), 0.1);                   // clamped after the end
}

TEST(LrSchedule, LinearAndConstant) {
  LrSchedule linear{2.0, 0.0, 0, 10, "linear"};
  EXPECT_DOUBLE_EQ(linear.at(5), 1.0);
  LrSchedule constant{2.0, 0.0, 2, 10, "constant"};
  EXPECT_DOUBLE_EQ(constant.at(0), 1.0);
  EXPECT_DOUBLE_EQ(constant.at(7), 2.0);
}

TEST(LrSchedule, BadValuesAreRefused) {
  EXPECT_THROW((LrSchedule{1.0, 0.1, 0, 10, "exp"}.check()), std::invalid_argument);
  EXPECT_THROW((LrSchedule{-1.0, 0.1, 0, 10, "cosine"}.check()), std::invalid_argument);
}

}  // namespace
