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

}  // namespace kiln
