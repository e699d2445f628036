// Bilinear resize over NHWC, f32, with the arithmetic of the TensorFlow.js CPU
// kernel (tfjs-backend-cpu ResizeBilinear, halfPixelCenters = false), so that
// a model trained and shipped for tfjs (the nsfwjs classifier) sees the same
// input bits:
//   ratio = align_corners ? (in−1)/(out−1) : in/out      (double)
//   s = ratio·r; s0 = floor(s); s1 = min(in−1, ceil(s)); f = s − s0
//   top = tl + (tr − tl)·fx; bottom = bl + (br − bl)·fx; out = top + (bottom − top)·fy
// in double, stored as f32. The file is compiled without FMA contraction:
// a fused multiply-add would round differently from JavaScript.
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

//   out (batch, out_height, out_width, channels)
//   in  (batch, in_height, in_width, channels)
// REQUIRES: every size >= 1; out does not alias in.
void ResizeBilinear(ThreadPool& pool, float* out, const float* in, int64_t batch, int64_t in_height,
                    int64_t in_width, int64_t channels, int64_t out_height, int64_t out_width,
                    bool align_corners);

}  // namespace kiln::cpu
