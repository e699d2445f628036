#include "kiln/kernels/cpu/conv2d.h"

#include <gtest/gtest.h>

#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::AllNear;
using testing::kThreadCounts;
using testing::RandomVector;

// torch.nn.functional.conv2d over an explicitly zero-padded input, in double.
std::vector<double> NaiveConv2d(const std::vector<float>& in, const std::vector<float>& weight,
                                const float* bias, const Conv2dParams& p) {
  const int64_t oh_n = p.out_height(), ow_n = p.out_width(), k = p.kernel;
  std::vector<double> out(p.batch * p.out_channels * oh_n * ow_n);
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t oc = 0; oc < p.out_channels; ++oc) {
      for (int64_t oh = 0; oh < oh_n; ++oh) {
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          double acc = bias != nullptr ? bias[oc] : 0.0;
          for (int64_t ic = 0; ic < p.in_channels; ++ic) {
            for (int64_t kh = 0; kh < k; ++kh) {
              for (int64_t kw = 0; kw < k; ++kw) {
                const int64_t ih = oh * p.stride - p.pad_top + kh, iw = ow * p.stride - p.pad_left + kw;
                if (ih < 0 || ih >= p.in_height || iw < 0 || iw >= p.in_width) continue;
                acc += static_cast<double>(in[((n * p.in_channels + ic) * p.in_height + ih) * p.in_width + iw]) *
                       weight[((oc * p.in_channels + ic) * k + kh) * k + kw];
              }
            }
          }
          out[((n * p.out_channels + oc) * oh_n + oh) * ow_n + ow] = acc;
        }
      }
    }
  }
  return out;
}

void CheckConv2d(const Conv2dParams& p, bool with_bias) {
  const auto in = RandomVector(p.batch * p.in_channels * p.in_height * p.in_width, 41);
  const auto weight = RandomVector(p.out_channels * p.in_channels * p.kernel * p.kernel, 42);
  const auto bias = RandomVector(p.out_channels, 43);
  const float* b = with_bias ? bias.data() : nullptr;
  const auto want = NaiveConv2d(in, weight, b, p);
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(want.size(), -7.0f);
    Conv2d(pool, out.data(), in.data(), weight.data(), b, p);
    EXPECT_TRUE(AllNear(out, want)) << "threads=" << threads;
  }
}

Conv2dParams OddImage() {
  Conv2dParams p;
  p.batch = 2;
  p.in_channels = 5;
  p.out_channels = 7;
  p.in_height = 9;
  p.in_width = 11;
  return p;
}

TEST(Conv2dTest, ThreeByThreeSamePadding) {
  Conv2dParams p = OddImage();
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  CheckConv2d(p, true);
  CheckConv2d(p, false);
}

// The AutoencoderKL Downsample: pad (0, 1, 0, 1) then a 3×3 stride-2 conv.
TEST(Conv2dTest, ThreeByThreeStrideTwoAsymmetricPadding) {
  Conv2dParams p = OddImage();
  p.stride = 2;
  p.pad_bottom = p.pad_right = 1;
  CheckConv2d(p, true);
}

TEST(Conv2dTest, ThreeByThreeNoPadding) {
  Conv2dParams p = OddImage();
  CheckConv2d(p, true);
}

TEST(Conv2dTest, OneByOne) {
  Conv2dParams p = OddImage();
  p.kernel = 1;
  CheckConv2d(p, true);
  CheckConv2d(p, false);
}

// 1×1 but strided or padded: not the direct GEMM path.
TEST(Conv2dTest, OneByOneStridedAndPadded) {
  Conv2dParams p = OddImage();
  p.kernel = 1;
  p.stride = 2;
  p.pad_top = p.pad_left = 1;
  CheckConv2d(p, true);
}

// One image split into pixel blocks that end mid-row across threads.
TEST(Conv2dTest, SingleImageSplitsPixelBlocks) {
  Conv2dParams p = OddImage();
  p.batch = 1;
  p.in_height = 37;
  p.in_width = 29;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  CheckConv2d(p, true);
}

}  // namespace
}  // namespace kiln::cpu
