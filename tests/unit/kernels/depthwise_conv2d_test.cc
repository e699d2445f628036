#include "kiln/kernels/cpu/depthwise_conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::AllNear;
using testing::kThreadCounts;
using testing::RandomVector;

// Keras DepthwiseConv2D over an explicitly zero-padded NHWC input, in double.
std::vector<double> NaiveDepthwise(const std::vector<float>& in, const std::vector<float>& weight, const float* bias,
                                   const DepthwiseConv2dParams& p) {
  const int64_t oh_n = p.out_height(), ow_n = p.out_width(), c_n = p.channels;
  std::vector<double> out(p.batch * oh_n * ow_n * c_n);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t oh = 0; oh < oh_n; ++oh) {
      for (int64_t ow = 0; ow < ow_n; ++ow) {
        for (int64_t c = 0; c < c_n; ++c) {
          double acc = bias != nullptr ? bias[c] : 0.0;
          for (int64_t kh = 0; kh < 3; ++kh) {
            for (int64_t kw = 0; kw < 3; ++kw) {
              const int64_t ih = oh * p.stride - p.pad_top + kh, iw = ow * p.stride - p.pad_left + kw;
              if (ih < 0 || ih >= p.height || iw < 0 || iw >= p.width) continue;
              acc += static_cast<double>(in[((n * p.height + ih) * p.width + iw) * c_n + c]) *
                     weight[(kh * 3 + kw) * c_n + c];
            }
          }
          if (p.relu6) acc = std::min(std::max(acc, 0.0), 6.0);
          out[((n * oh_n + oh) * ow_n + ow) * c_n + c] = acc;
        }
      }
    }
  }
  return out;
}

void CheckDepthwise(const DepthwiseConv2dParams& p, bool with_bias) {
  // Inputs up to ±4 so that ReLU6 clamps some outputs at both ends.
  const auto in = RandomVector(p.batch * p.height * p.width * p.channels, 51, -4.0f, 4.0f);
  const auto weight = RandomVector(9 * p.channels, 52);
  const auto bias = RandomVector(p.channels, 53);
  const float* b = with_bias ? bias.data() : nullptr;
  const auto want = NaiveDepthwise(in, weight, b, p);
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(want.size(), -7.0f);
    DepthwiseConv2d3x3(pool, out.data(), in.data(), weight.data(), b, p);
    EXPECT_TRUE(AllNear(out, want)) << "threads=" << threads << " stride=" << p.stride;
  }
}

// Odd sizes and a channel count that is not a multiple of the vector width.
DepthwiseConv2dParams OddImage() {
  DepthwiseConv2dParams p;
  p.batch = 2;
  p.height = 9;
  p.width = 11;
  p.channels = 13;
  return p;
}

TEST(DepthwiseConv2dTest, StrideOneSamePadding) {
  DepthwiseConv2dParams p = OddImage();
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  EXPECT_EQ(p.out_height(), 9);
  EXPECT_EQ(p.out_width(), 11);
  CheckDepthwise(p, true);
  CheckDepthwise(p, false);
}

// MobileNetV2's stride-2 convs: ZeroPadding2D ((0, 1), (0, 1)) then 'valid'.
TEST(DepthwiseConv2dTest, StrideTwoBottomRightPadding) {
  DepthwiseConv2dParams p = OddImage();
  p.stride = 2;
  p.pad_bottom = p.pad_right = 1;
  EXPECT_EQ(p.out_height(), 4);
  EXPECT_EQ(p.out_width(), 5);
  CheckDepthwise(p, true);
  p.height = 10;  // even: 10 + 1 − 3 = 8 → 5 rows, the last reading the padding row
  p.width = 12;
  CheckDepthwise(p, false);
}

TEST(DepthwiseConv2dTest, StrideTwoUnpaddedAndFusedRelu6) {
  DepthwiseConv2dParams p = OddImage();
  p.stride = 2;
  p.relu6 = true;
  CheckDepthwise(p, true);
  p.stride = 1;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  CheckDepthwise(p, true);
}

TEST(DepthwiseConv2dTest, OnePixelImage) {
  DepthwiseConv2dParams p;
  p.height = p.width = 1;
  p.channels = 5;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  CheckDepthwise(p, true);
}

}  // namespace
}  // namespace kiln::cpu
