#include "kiln/models/mobilenet_v2/nhwc_conv.h"

#include <algorithm>

#include "kiln/kernels/cpu/matmul.h"

namespace kiln {
namespace {

// Fewer rows per chunk make OpenBLAS's packing dominate (as in cpu::Linear).
constexpr int64_t kMinRowsPerChunk = 16;

}  // namespace

void PointwiseConv(ThreadPool& pool, float* out, const float* in, const FoldedConv& conv, int64_t rows, bool relu6,
                   const float* residual) {
  const int64_t k = conv.in_features, n = conv.out_features;
  pool.ParallelFor(
      rows,
      [&](int64_t r0, int64_t r1) {
        // Inside a chunk the pool runs cpu::Linear inline: one sgemm on these rows.
        cpu::Linear(pool, out + r0 * n, in + r0 * k, conv.weight.data(), conv.bias.data(), r1 - r0, k, n);
        float* o = out + r0 * n;
        const int64_t count = (r1 - r0) * n;
        if (residual != nullptr) {
          const float* res = residual + r0 * n;
          for (int64_t i = 0; i < count; ++i) o[i] += res[i];
        }
        if (relu6) {
          for (int64_t i = 0; i < count; ++i) o[i] = std::min(std::max(o[i], 0.0f), 6.0f);
        }
      },
      kMinRowsPerChunk);
}

void Im2Col3x3Nhwc(ThreadPool& pool, float* col, const float* in, const Im2ColParams& params) {
  const Im2ColParams& p = params;
  const int64_t oh_n = p.out_height(), ow_n = p.out_width(), c_n = p.channels;
  const int64_t patch = 9 * c_n;
  pool.ParallelFor(p.batch * oh_n, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / oh_n, oh = item % oh_n;
      const float* image = in + n * p.height * p.width * c_n;
      for (int64_t ow = 0; ow < ow_n; ++ow) {
        float* dst = col + (item * ow_n + ow) * patch;
        for (int64_t kh = 0; kh < 3; ++kh) {
          const int64_t ih = oh * p.stride - p.pad_top + kh;
          for (int64_t kw = 0; kw < 3; ++kw) {
            const int64_t iw = ow * p.stride - p.pad_left + kw;
            float* tap = dst + (kh * 3 + kw) * c_n;
            if (ih < 0 || ih >= p.height || iw < 0 || iw >= p.width) {
              std::fill(tap, tap + c_n, 0.0f);
            } else {
              const float* src = image + (ih * p.width + iw) * c_n;
              std::copy(src, src + c_n, tap);
            }
          }
        }
      }
    }
  });
}

}  // namespace kiln
