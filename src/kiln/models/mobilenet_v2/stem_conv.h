// The MobileNetV2 stem (Conv1_pad → Conv1 3×3 stride 2, 3 → 32 channels, with
// bn_Conv1 folded and ReLU6) as a direct convolution on NHWC input.
//
// Why not im2col + GEMM: with 3 input channels every patch row is 27 floats
// gathered from 9 copies of 3 floats (≈ 1 M tiny memmoves per image), and a
// GEMM with k = 27 spends much of its time packing. Directly, each output
// pixel is 27 taps × 32 channels of FMAs on 4 vector accumulators.
#pragma once

#include <cstdint>
#include <vector>

#include "kiln/base/thread_pool.h"
#include "kiln/models/mobilenet_v2/folded_conv.h"

namespace kiln {

// The folded Conv1 weights rearranged once at load: (27 taps, 32 out channels),
// tap = (kh·3 + kw)·3 + in_channel, so one tap's 32 weights are contiguous.
struct StemWeights {
  static constexpr int64_t kOut = 32;
  std::vector<float> taps;  // (27, kOut)
  std::vector<float> bias;  // (kOut)
};

// REQUIRES: conv is (32, 27), in (kh, kw, in) patch order (LoadConvBn's layout).
StemWeights PackStem(const FoldedConv& conv);

//   out (batch, out_size, out_size, 32), clamped to [0, 6]
//   in  (batch, size, size, 3)
// 3×3, stride 2, zero padding of 1 at the bottom and right only (Keras's
// ZeroPadding2D((0, 1), (0, 1)) before a 'valid' conv): out_size = (size + 1 − 3) / 2 + 1.
void StemConv3x3S2(ThreadPool& pool, float* out, const float* in, int64_t batch, int64_t size,
                   const StemWeights& weights);

}  // namespace kiln
