// Depthwise 3×3 convolution over NHWC (channels last), f32: Keras
// DepthwiseConv2D with depth_multiplier 1, dilation 1. Channels last keeps
// the 9 taps of every channel in contiguous vectors, and the 1×1 convs around
// it (MobileNetV2) become plain GEMMs on the same layout.
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

struct DepthwiseConv2dParams {
  int64_t batch = 1;
  int64_t height = 0;  // input
  int64_t width = 0;
  int64_t channels = 0;
  int64_t stride = 1;  // 1 or 2 in MobileNetV2; any stride works
  // Zero padding per side. Keras 'same' at stride 1 is 1 on every side; the
  // stride-2 convs follow a ZeroPadding2D of (top 0, bottom 1, left 0, right 1).
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  // Clamp the result to [0, 6] (a fused ReLU6), else leave it linear.
  bool relu6 = false;

  int64_t out_height() const { return (height + pad_top + pad_bottom - 3) / stride + 1; }
  int64_t out_width() const { return (width + pad_left + pad_right - 3) / stride + 1; }
};

//   out    (batch, out_height, out_width, channels)
//   in     (batch, height, width, channels)
//   weight (3, 3, channels): the Keras kernel [kh, kw, channels, 1]
//   bias   (channels) or nullptr (a folded BatchNorm's shift)
// out must not alias in. Rows of output are split across the pool.
void DepthwiseConv2d3x3(ThreadPool& pool, float* out, const float* in, const float* weight, const float* bias,
                        const DepthwiseConv2dParams& params);

}  // namespace kiln::cpu
