#include "kiln/kernels/cpu/resize_bilinear.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::kThreadCounts;
using testing::RandomVector;

// tfjs-core's own test: [[2, 2], [4, 4]] → 3×3 with alignCorners.
TEST(ResizeBilinearTest, AlignCornersMatchesTfjsExample) {
  const std::vector<float> in = {2, 2, 4, 4};
  std::vector<float> out(9);
  ThreadPool pool(1);
  ResizeBilinear(pool, out.data(), in.data(), 1, 2, 2, 1, 3, 3, /*align_corners=*/true);
  const std::vector<float> want = {2, 2, 2, 3, 3, 3, 4, 4, 4};
  EXPECT_EQ(out, want);
  ResizeBilinear(pool, out.data(), in.data(), 1, 2, 2, 1, 3, 3, /*align_corners=*/false);
  EXPECT_FLOAT_EQ(out[3], 10.0f / 3.0f);
  EXPECT_FLOAT_EQ(out[8], 4.0f);
}

// Corners map to corners with alignCorners; threads give identical bits.
TEST(ResizeBilinearTest, CornersAndThreads) {
  const int64_t h = 7, w = 5, c = 3, oh = 11, ow = 13;
  const auto in = RandomVector(2 * h * w * c, 61);
  std::vector<float> first;
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(2 * oh * ow * c);
    ResizeBilinear(pool, out.data(), in.data(), 2, h, w, c, oh, ow, /*align_corners=*/true);
    for (int64_t n = 0; n < 2; ++n) {
      for (int64_t d = 0; d < c; ++d) {
        EXPECT_EQ(out[(n * oh * ow) * c + d], in[(n * h * w) * c + d]);
        EXPECT_EQ(out[((n * oh + oh - 1) * ow + ow - 1) * c + d], in[((n * h + h - 1) * w + w - 1) * c + d]);
      }
    }
    if (first.empty()) {
      first = out;
    } else {
      EXPECT_EQ(out, first);
    }
  }
}

// Same size with alignCorners is the identity.
TEST(ResizeBilinearTest, SameSizeIsIdentity) {
  const auto in = RandomVector(4 * 6 * 2, 62);
  std::vector<float> out(in.size());
  ThreadPool pool(2);
  ResizeBilinear(pool, out.data(), in.data(), 1, 4, 6, 2, 4, 6, /*align_corners=*/true);
  EXPECT_EQ(out, in);
}

}  // namespace
}  // namespace kiln::cpu
