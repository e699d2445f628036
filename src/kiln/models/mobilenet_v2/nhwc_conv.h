// The two convolution shapes of MobileNetV2 besides the depthwise one, on
// NHWC activations: 1×1 convs as one GEMM over all pixels (rows = pixels,
// channels contiguous), and the 3×3 stride-2 stem as im2col + the same GEMM.
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"
#include "kiln/models/mobilenet_v2/folded_conv.h"

namespace kiln {

// out (rows, conv.out_features) = in (rows, conv.in_features) · weightᵀ + bias,
// then + residual (rows, out_features) when given, then min(max(·, 0), 6) when
// relu6. The epilogue runs on each thread's rows right after its GEMM, while
// they are still in cache. out must not alias in or residual.
void PointwiseConv(ThreadPool& pool, float* out, const float* in, const FoldedConv& conv, int64_t rows, bool relu6,
                   const float* residual = nullptr);

// Patches of a 3×3 conv over NHWC input, zero where the kernel overhangs the
// padding; patch order (kh, kw, channel), matching FoldedConv's in_patch.
//   col (batch · out_h · out_w, 9 · channels)
//   in  (batch, height, width, channels)
// with out_h = (height + pad_top + pad_bottom − 3) / stride + 1 (width alike).
struct Im2ColParams {
  int64_t batch = 1, height = 0, width = 0, channels = 0, stride = 1;
  int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  int64_t out_height() const { return (height + pad_top + pad_bottom - 3) / stride + 1; }
  int64_t out_width() const { return (width + pad_left + pad_right - 3) / stride + 1; }
};
void Im2Col3x3Nhwc(ThreadPool& pool, float* col, const float* in, const Im2ColParams& params);

}  // namespace kiln
