#include "kiln/kernels/cpu/norm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::AllNear;
using testing::kThreadCounts;
using testing::RandomVector;

constexpr float kEps = 1e-6f;

// x (count) normalised to zero mean, unit variance, in double.
std::vector<double> Standardise(const float* x, int64_t count, double eps) {
  double mean = 0.0, var = 0.0;
  for (int64_t i = 0; i < count; ++i) mean += x[i];
  mean /= count;
  for (int64_t i = 0; i < count; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= count;
  std::vector<double> y(count);
  for (int64_t i = 0; i < count; ++i) y[i] = (x[i] - mean) / std::sqrt(var + eps);
  return y;
}

void CheckLayerNorm(int64_t rows, int64_t cols) {
  // An offset far from zero: one-pass E[x²] - E[x]² in f32 would lose the variance.
  const auto in = RandomVector(rows * cols, 21, 99.0f, 101.0f);
  std::vector<double> want;
  for (int64_t r = 0; r < rows; ++r) {
    const auto y = Standardise(in.data() + r * cols, cols, kEps);
    want.insert(want.end(), y.begin(), y.end());
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(in.size());
    LayerNorm(pool, out.data(), in.data(), rows, cols, kEps);
    EXPECT_TRUE(AllNear(out, want, 1e-4, 1e-5)) << "threads=" << threads;
    std::vector<float> in_place = in;
    LayerNorm(pool, in_place.data(), in_place.data(), rows, cols, kEps);
    EXPECT_EQ(in_place, out) << "threads=" << threads;
  }
}

TEST(NormTest, LayerNormOddSizes) { CheckLayerNorm(7, 33); }

void CheckLayerNormAffine(int64_t rows, int64_t cols) {
  const auto in = RandomVector(rows * cols, 22, 99.0f, 101.0f);
  const auto gamma = RandomVector(cols, 23, 0.5f, 1.5f);
  const auto beta = RandomVector(cols, 24, -1.0f, 1.0f);
  std::vector<double> want;
  for (int64_t r = 0; r < rows; ++r) {
    const auto y = Standardise(in.data() + r * cols, cols, kEps);
    for (int64_t c = 0; c < cols; ++c) want.push_back(y[c] * gamma[c] + beta[c]);
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(in.size());
    LayerNormAffine(pool, out.data(), in.data(), gamma.data(), beta.data(), rows, cols, kEps);
    EXPECT_TRUE(AllNear(out, want, 2e-4, 1e-4)) << "threads=" << threads;
    std::vector<float> in_place = in;
    LayerNormAffine(pool, in_place.data(), in_place.data(), gamma.data(), beta.data(), rows, cols, kEps);
    EXPECT_EQ(in_place, out) << "threads=" << threads;
  }
}

TEST(NormTest, LayerNormAffineOddSizes) { CheckLayerNormAffine(7, 33); }
TEST(NormTest, LayerNormAffineManyRowsThreaded) { CheckLayerNormAffine(1001, 37); }
TEST(NormTest, LayerNormManyRowsThreaded) { CheckLayerNorm(1001, 37); }

void CheckRmsNorm(int64_t rows, int64_t cols) {
  const auto in = RandomVector(rows * cols, 22, -3.0f, 3.0f);
  const auto scale = RandomVector(cols, 23, 0.5f, 1.5f);
  std::vector<double> want(in.size());
  for (int64_t r = 0; r < rows; ++r) {
    double sum_sq = 0.0;
    for (int64_t c = 0; c < cols; ++c) sum_sq += static_cast<double>(in[r * cols + c]) * in[r * cols + c];
    const double rrms = 1.0 / std::sqrt(sum_sq / cols + kEps);
    for (int64_t c = 0; c < cols; ++c) want[r * cols + c] = in[r * cols + c] * rrms * scale[c];
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(in.size());
    RmsNorm(pool, out.data(), in.data(), scale.data(), rows, cols, kEps);
    EXPECT_TRUE(AllNear(out, want)) << "threads=" << threads;
    std::vector<float> in_place = in;
    RmsNorm(pool, in_place.data(), in_place.data(), scale.data(), rows, cols, kEps);
    EXPECT_EQ(in_place, out) << "threads=" << threads;
  }
}

TEST(NormTest, RmsNormOddSizes) { CheckRmsNorm(7, 33); }
TEST(NormTest, RmsNormManyRowsThreaded) { CheckRmsNorm(1001, 37); }

void CheckGroupNorm(int64_t batch, int64_t channels, int64_t spatial, int64_t groups) {
  const auto in = RandomVector(batch * channels * spatial, 24, 40.0f, 44.0f);
  const auto gamma = RandomVector(channels, 25, 0.5f, 1.5f);
  const auto beta = RandomVector(channels, 26);
  const int64_t group_channels = channels / groups;
  std::vector<double> want;
  for (int64_t item = 0; item < batch * groups; ++item) {
    const auto y = Standardise(in.data() + item * group_channels * spatial, group_channels * spatial, kEps);
    for (int64_t i = 0; i < group_channels * spatial; ++i) {
      const int64_t c = (item % groups) * group_channels + i / spatial;
      want.push_back(y[i] * gamma[c] + beta[c]);
    }
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(in.size());
    GroupNorm(pool, out.data(), in.data(), gamma.data(), beta.data(), batch, channels, spatial, groups, kEps);
    EXPECT_TRUE(AllNear(out, want, 1e-4, 1e-5)) << "threads=" << threads;
    std::vector<float> in_place = in;
    GroupNorm(pool, in_place.data(), in_place.data(), gamma.data(), beta.data(), batch, channels, spatial,
              groups, kEps);
    EXPECT_EQ(in_place, out) << "threads=" << threads;
  }
}

TEST(NormTest, GroupNormOddSizes) { CheckGroupNorm(2, 6, 9 * 11, 3); }
TEST(NormTest, GroupNormOneChannelPerGroup) { CheckGroupNorm(1, 5, 7, 5); }
TEST(NormTest, GroupNormLargeGroupsThreaded) { CheckGroupNorm(2, 8, 64 * 33, 2); }

}  // namespace
}  // namespace kiln::cpu
