#include "kiln/kernels/cpu/qkv_split.h"

#include <cmath>
#include <cstring>

namespace kiln::cpu {
namespace {

// x' = rope(rmsnorm(x) · scale), one head vector of length dim.
void NormRotate(float* dst, const float* src, const float* scale, const float* pe, int64_t dim, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < dim; ++i) sum += static_cast<double>(src[i]) * src[i];
  const float rrms = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(dim)) + eps);
  for (int64_t j = 0; j < dim / 2; ++j) {
    const float a = src[2 * j] * rrms * scale[2 * j];
    const float b = src[2 * j + 1] * rrms * scale[2 * j + 1];
    const float* r = pe + 4 * j;  // [[r0, r1], [r2, r3]]
    dst[2 * j] = r[0] * a + r[1] * b;
    dst[2 * j + 1] = r[2] * a + r[3] * b;
  }
}

}  // namespace

void SplitQkvNormRope(ThreadPool& pool, float* q, float* k, float* v, const float* qkv,
                      const float* q_scale, const float* k_scale, const float* pe,
                      const QkvSplitParams& p) {
  const int64_t width = p.heads * p.head_dim;
  pool.ParallelFor(p.batch * p.tokens, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t b = row / p.tokens;
      const int64_t t = row % p.tokens;
      const int64_t joint = p.token_offset + t;
      const float* src = qkv + row * p.qkv_row_stride;
      const float* table = pe + (b * p.total_tokens + joint) * p.head_dim * 2;
      for (int64_t h = 0; h < p.heads; ++h) {
        const int64_t dst = ((b * p.heads + h) * p.total_tokens + joint) * p.head_dim;
        NormRotate(q + dst, src + h * p.head_dim, q_scale, table, p.head_dim, p.eps);
        NormRotate(k + dst, src + width + h * p.head_dim, k_scale, table, p.head_dim, p.eps);
        std::memcpy(v + dst, src + 2 * width + h * p.head_dim, p.head_dim * sizeof(float));
      }
    }
  }, /*min_chunk=*/4);
}

}  // namespace kiln::cpu
