#include "kiln/models/t5/t5_relative_position.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

TEST(T5RelativePositionTest, BucketsOfT5Defaults) {
  // 32 buckets: 0..15 for keys at or before the query, 16..31 after it;
  // offsets below 8 exact, then log-spaced up to 128, then the last bucket.
  EXPECT_EQ(T5RelativePositionBucket(0, 32, 128), 0);
  EXPECT_EQ(T5RelativePositionBucket(-1, 32, 128), 1);
  EXPECT_EQ(T5RelativePositionBucket(-7, 32, 128), 7);
  EXPECT_EQ(T5RelativePositionBucket(1, 32, 128), 17);
  EXPECT_EQ(T5RelativePositionBucket(7, 32, 128), 23);
  EXPECT_EQ(T5RelativePositionBucket(-8, 32, 128), 8);
  EXPECT_EQ(T5RelativePositionBucket(-16, 32, 128), 10);  // 8 + log(2)/log(16)·8 = 8 + 2
  EXPECT_EQ(T5RelativePositionBucket(-1000, 32, 128), 15);
  EXPECT_EQ(T5RelativePositionBucket(1000, 32, 128), 31);
}

TEST(T5RelativePositionTest, BucketsGrowWithDistanceOnEachSide) {
  for (const int64_t sign : {-1, 1}) {
    int64_t previous = T5RelativePositionBucket(0, 32, 128);
    for (int64_t d = 1; d < 300; ++d) {
      const int64_t bucket = T5RelativePositionBucket(sign * d, 32, 128);
      EXPECT_GE(bucket, previous) << sign * d;
      EXPECT_LT(bucket, 32);
      previous = bucket;
    }
  }
}

TEST(T5RelativePositionTest, PositionBiasLooksUpTheBucketOfKeyMinusQuery) {
  const int64_t heads = 2, seq_len = 5, num_buckets = 8, max_distance = 4;
  std::vector<float> table(num_buckets * heads);  // (num_buckets, heads)
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i);
  std::vector<float> bias(heads * seq_len * seq_len);
  T5PositionBias(bias.data(), table.data(), heads, seq_len, num_buckets, max_distance);
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < seq_len; ++i) {
      for (int64_t j = 0; j < seq_len; ++j) {
        const int64_t bucket = T5RelativePositionBucket(j - i, num_buckets, max_distance);
        EXPECT_EQ(bias[(h * seq_len + i) * seq_len + j], table[bucket * heads + h]) << h << " " << i << " " << j;
      }
    }
  }
}

}  // namespace
}  // namespace kiln
