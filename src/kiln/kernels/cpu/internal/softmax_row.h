// One softmax row, shared by Softmax and Attention.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "kiln/kernels/cpu/internal/simd_math.h"

namespace kiln::cpu::internal {

// x (n) ← softmax(x), in place. The row max is subtracted before exp so large
// logits cannot overflow.
inline void SoftmaxRow(float* x, int64_t n) {
  if (n <= 0) return;
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  const int64_t body = n - n % 8;

  __m256 vmax = _mm256_set1_ps(kNegInf);
  for (int64_t i = 0; i < body; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  float max = HorizontalMax(vmax);
  for (int64_t i = body; i < n; ++i) max = std::max(max, x[i]);

  const __m256 shift = _mm256_set1_ps(max);
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t i = 0; i < body; i += 8) {
    const __m256 e = Exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  if (body < n) {
    // Padding with -inf makes the unused lanes exp to exactly 0.
    alignas(32) float tail[8] = {kNegInf, kNegInf, kNegInf, kNegInf,
                                 kNegInf, kNegInf, kNegInf, kNegInf};
    std::memcpy(tail, x + body, (n - body) * sizeof(float));
    const __m256 e = Exp256(_mm256_sub_ps(_mm256_load_ps(tail), shift));
    _mm256_store_ps(tail, e);
    vsum = _mm256_add_ps(vsum, e);
    std::memcpy(x + body, tail, (n - body) * sizeof(float));
  }

  const __m256 inv = _mm256_set1_ps(1.0f / HorizontalSum(vsum));
  MapUnary(x, x, n, [&](__m256 v) { return _mm256_mul_ps(v, inv); });
}

}  // namespace kiln::cpu::internal
