#include "kiln/server/rate_limiter.h"

#include <gtest/gtest.h>

namespace kiln {
namespace {

TEST(RateLimiterTest, BurstThenRate) {
  RateLimiter limiter;
  // 2 per second, burst 3: three at once, then one every half second.
  EXPECT_EQ(limiter.Acquire("a", 2, 3, 100.0), 0);
  EXPECT_EQ(limiter.Acquire("a", 2, 3, 100.0), 0);
  EXPECT_EQ(limiter.Acquire("a", 2, 3, 100.0), 0);
  EXPECT_NEAR(limiter.Acquire("a", 2, 3, 100.0), 0.5, 1e-9);
  EXPECT_EQ(limiter.Acquire("a", 2, 3, 100.5), 0);
  EXPECT_GT(limiter.Acquire("a", 2, 3, 100.5), 0);
}

TEST(RateLimiterTest, TenantsHaveTheirOwnBuckets) {
  RateLimiter limiter;
  EXPECT_EQ(limiter.Acquire("a", 1, 1, 10.0), 0);
  EXPECT_GT(limiter.Acquire("a", 1, 1, 10.0), 0);
  EXPECT_EQ(limiter.Acquire("b", 1, 1, 10.0), 0);
}

TEST(RateLimiterTest, ZeroRateIsUnlimited) {
  RateLimiter limiter;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.Acquire("a", 0, 0, 1.0), 0);
}

}  // namespace
}  // namespace kiln
