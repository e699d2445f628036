#include "kiln/kernels/cpu/rope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::AllNear;
using testing::kThreadCounts;
using testing::RandomVector;

TEST(RopeTest, TableMatchesFluxFormula) {
  const int64_t batch = 2, tokens = 5;
  const int64_t axes_dim[] = {4, 6, 10};  // head_dim 20, FLUX uses (16, 56, 56)
  const int num_axes = 3, half_dim = 10;
  const float theta = 10000.0f;
  std::vector<float> ids(batch * tokens * num_axes);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<float>((i * 37) % 97);  // up to 96, like a 64×… grid

  std::vector<double> want;
  for (int64_t bt = 0; bt < batch * tokens; ++bt) {
    for (int a = 0; a < num_axes; ++a) {
      for (int64_t j = 0; j < axes_dim[a] / 2; ++j) {
        const double omega = 1.0 / std::pow(10000.0, 2.0 * j / axes_dim[a]);
        const double angle = ids[bt * num_axes + a] * omega;
        // Cast to f32 first, as flux does with .float() at the end.
        const float c = static_cast<float>(std::cos(angle)), s = static_cast<float>(std::sin(angle));
        want.insert(want.end(), {c, -s, s, c});
      }
    }
  }
  std::vector<float> pe(batch * tokens * half_dim * 4, -7.0f);
  RopeTable(pe.data(), ids.data(), batch, tokens, axes_dim, num_axes, theta);
  EXPECT_TRUE(AllNear(pe, want, 0.0, 0.0));
}

TEST(RopeTest, PositionZeroIsIdentity) {
  const int64_t axes_dim[] = {2, 4};
  const std::vector<float> ids = {0.0f, 0.0f};
  std::vector<float> pe(3 * 4);
  RopeTable(pe.data(), ids.data(), 1, 1, axes_dim, 2, 10000.0f);
  for (int j = 0; j < 3; ++j) {
    EXPECT_EQ(pe[4 * j + 0], 1.0f);
    EXPECT_EQ(pe[4 * j + 1], 0.0f);  // -sin(0) is -0, equal to 0
    EXPECT_EQ(pe[4 * j + 2], 0.0f);
    EXPECT_EQ(pe[4 * j + 3], 1.0f);
  }
}

void CheckApplyRope(int64_t batch, int64_t heads, int64_t tokens, int64_t head_dim) {
  const int64_t half_dim = head_dim / 2;
  const auto x0 = RandomVector(batch * heads * tokens * head_dim, 31);
  const auto pe = RandomVector(batch * tokens * half_dim * 4, 32);
  std::vector<double> want(x0.size());
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      for (int64_t t = 0; t < tokens; ++t) {
        const int64_t row = ((b * heads + h) * tokens + t) * head_dim;
        const float* m = pe.data() + (b * tokens + t) * half_dim * 4;
        for (int64_t j = 0; j < half_dim; ++j) {
          const double a = x0[row + 2 * j], c = x0[row + 2 * j + 1];
          want[row + 2 * j] = m[4 * j] * a + m[4 * j + 1] * c;
          want[row + 2 * j + 1] = m[4 * j + 2] * a + m[4 * j + 3] * c;
        }
      }
    }
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> x = x0;
    ApplyRope(pool, x.data(), pe.data(), batch, heads, tokens, head_dim);
    EXPECT_TRUE(AllNear(x, want, 1e-5, 1e-6)) << "threads=" << threads;
  }
}

TEST(RopeTest, ApplyOddSizes) { CheckApplyRope(2, 3, 7, 24); }
TEST(RopeTest, ApplyManyTokensThreaded) { CheckApplyRope(2, 3, 301, 24); }

}  // namespace
}  // namespace kiln::cpu
