// MobileNetV2's 1×1 convs on NHWC activations: one GEMM over all pixels
// (rows = pixels, channels contiguous). The 3×3 stem is stem_conv.h.
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

}  // namespace kiln
