// AVX2/FMA helpers shared by the CPU kernels: exp, reductions, and a way to
// run a vector routine over a ragged tail with the same arithmetic as the body.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace kiln::cpu::internal {

// exp(x) for 8 lanes, Cephes' expf polynomial: about 1 ulp on [-87, 88].
// Below -87.3 the result flushes to 0; above 88.37 it saturates at ~2.4e38 so
// that x / (1 + exp(-x)) style formulas stay finite instead of giving NaN.
inline __m256 Exp256(__m256 x) {
  x = _mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f));
  // n = round(x / ln 2); r = x - n·ln 2 with ln 2 split in two for exactness.
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  // 2^n built in the exponent field; n = -127 (x near the lower clamp) gives 0.
  __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  e = _mm256_max_epi32(e, _mm256_setzero_si256());
  const __m256 two_n = _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
  return _mm256_mul_ps(p, two_n);
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HorizontalMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline double HorizontalSum(__m256d v) {
  __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// Applies op (__m256 -> __m256) to out[i] = op(in[i]) for i < n. The tail goes
// through the same vector code via a padded copy, so every element gets the
// same arithmetic wherever a thread's chunk happens to end.
template <typename Op>
inline void MapUnary(float* out, const float* in, int64_t n, Op op) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, op(_mm256_loadu_ps(in + i)));
  if (i == n) return;
  alignas(32) float tail[8] = {};
  std::memcpy(tail, in + i, (n - i) * sizeof(float));
  _mm256_store_ps(tail, op(_mm256_load_ps(tail)));
  std::memcpy(out + i, tail, (n - i) * sizeof(float));
}

// Σ x[i] accumulated in double (four lanes, then a fixed-order reduction).
inline double SumDouble(const float* x, int64_t n) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = _mm256_add_pd(acc0, _mm256_cvtps_pd(_mm_loadu_ps(x + i)));
    acc1 = _mm256_add_pd(acc1, _mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)));
  }
  double sum = HorizontalSum(_mm256_add_pd(acc0, acc1));
  for (; i < n; ++i) sum += x[i];
  return sum;
}

// Σ (x[i] - center)² accumulated in double; center = 0 gives the sum of squares.
inline double SumSquaredDeviation(const float* x, int64_t n, double center) {
  const __m256d c = _mm256_set1_pd(center);
  __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), c);
    const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), c);
    acc0 = _mm256_fmadd_pd(d0, d0, acc0);
    acc1 = _mm256_fmadd_pd(d1, d1, acc1);
  }
  double sum = HorizontalSum(_mm256_add_pd(acc0, acc1));
  for (; i < n; ++i) {
    const double d = x[i] - center;
    sum += d * d;
  }
  return sum;
}

}  // namespace kiln::cpu::internal
