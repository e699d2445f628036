// 2-d convolution over NCHW, f32 (torch.nn.Conv2d with groups=1, dilation=1).
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

struct Conv2dParams {
  int64_t batch = 1;
  int64_t in_channels = 0;
  int64_t in_height = 0;
  int64_t in_width = 0;
  int64_t out_channels = 0;
  int64_t kernel = 3;  // square kernel: 1 or 3 in the models here, any size works
  int64_t stride = 1;
  // Zero padding per side; asymmetric padding is the AutoencoderKL Downsample's (0, 1, 0, 1).
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;

  int64_t out_height() const { return (in_height + pad_top + pad_bottom - kernel) / stride + 1; }
  int64_t out_width() const { return (in_width + pad_left + pad_right - kernel) / stride + 1; }
};

//   out    (batch, out_channels, out_height, out_width)
//   in     (batch, in_channels, in_height, in_width)
//   weight (out_channels, in_channels, kernel, kernel)
//   bias   (out_channels) or nullptr
// Uses a per-thread scratch buffer that is reused across calls.
void Conv2d(ThreadPool& pool, float* out, const float* in, const float* weight, const float* bias,
            const Conv2dParams& params);

}  // namespace kiln::cpu
