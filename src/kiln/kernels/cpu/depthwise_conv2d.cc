#include "kiln/kernels/cpu/depthwise_conv2d.h"

#include <algorithm>

#include "kiln/kernels/cpu/internal/chunking.h"

namespace kiln::cpu {
namespace {

// One output row (out_width pixels × channels). Each pixel starts from the
// bias and accumulates its valid taps; the channel loop is contiguous on both
// sides, which the compiler vectorises (AVX2 at the library's -march).
void DepthwiseRow(float* out_row, const float* image, const float* weight, const float* bias,
                  const DepthwiseConv2dParams& p, int64_t oh) {
  const int64_t c_n = p.channels, ow_n = p.out_width();
  for (int64_t ow = 0; ow < ow_n; ++ow) {
    float* __restrict o = out_row + ow * c_n;
    if (bias != nullptr) {
      std::copy(bias, bias + c_n, o);
    } else {
      std::fill(o, o + c_n, 0.0f);
    }
    for (int64_t kh = 0; kh < 3; ++kh) {
      const int64_t ih = oh * p.stride - p.pad_top + kh;
      if (ih < 0 || ih >= p.height) continue;
      for (int64_t kw = 0; kw < 3; ++kw) {
        const int64_t iw = ow * p.stride - p.pad_left + kw;
        if (iw < 0 || iw >= p.width) continue;
        const float* __restrict x = image + (ih * p.width + iw) * c_n;
        const float* __restrict w = weight + (kh * 3 + kw) * c_n;
        for (int64_t c = 0; c < c_n; ++c) o[c] += x[c] * w[c];
      }
    }
    if (p.relu6) {
      for (int64_t c = 0; c < c_n; ++c) o[c] = std::min(std::max(o[c], 0.0f), 6.0f);
    }
  }
}

}  // namespace

void DepthwiseConv2d3x3(ThreadPool& pool, float* out, const float* in, const float* weight, const float* bias,
                        const DepthwiseConv2dParams& params) {
  const DepthwiseConv2dParams& p = params;
  const int64_t oh_n = p.out_height(), ow_n = p.out_width();
  if (p.batch <= 0 || p.channels <= 0 || oh_n <= 0 || ow_n <= 0) return;
  const int64_t row_floats = ow_n * p.channels;
  // Work items are output rows of all images; rows are cheap (9 FMAs per
  // output value), so a chunk gets at least kMinElementsPerChunk outputs.
  pool.ParallelFor(
      p.batch * oh_n,
      [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
          const int64_t n = item / oh_n, oh = item % oh_n;
          const float* image = in + n * p.height * p.width * p.channels;
          DepthwiseRow(out + item * row_floats, image, weight, bias, p, oh);
        }
      },
      internal::MinRows(row_floats * 9));
}

}  // namespace kiln::cpu
