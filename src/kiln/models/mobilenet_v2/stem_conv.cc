#include "kiln/models/mobilenet_v2/stem_conv.h"

#include <immintrin.h>

namespace kiln {

StemWeights PackStem(const FoldedConv& conv) {
  StemWeights w;
  const int64_t taps = conv.in_features;  // 27
  w.taps.resize(taps * StemWeights::kOut);
  for (int64_t o = 0; o < StemWeights::kOut; ++o) {
    for (int64_t t = 0; t < taps; ++t) w.taps[t * StemWeights::kOut + o] = conv.weight[o * taps + t];
  }
  w.bias = conv.bias;
  return w;
}

void StemConv3x3S2(ThreadPool& pool, float* out, const float* in, int64_t batch, int64_t size,
                   const StemWeights& weights) {
  constexpr int64_t kOut = StemWeights::kOut, kIn = 3;
  const int64_t out_size = (size + 1 - 3) / 2 + 1;
  const float* taps = weights.taps.data();
  const float* bias = weights.bias.data();
  pool.ParallelFor(batch * out_size, [&](int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / out_size, oh = item % out_size;
      const float* image = in + n * size * size * kIn;
      for (int64_t ow = 0; ow < out_size; ++ow) {
        // The 32 output channels live in 4 ymm accumulators for the whole
        // pixel; each of the 27 taps is one broadcast and 4 FMAs.
        __m256 acc[4];
        for (int j = 0; j < 4; ++j) acc[j] = _mm256_loadu_ps(bias + 8 * j);
        for (int64_t kh = 0; kh < 3; ++kh) {
          const int64_t ih = oh * 2 + kh;
          if (ih >= size) continue;  // the bottom padding row
          for (int64_t kw = 0; kw < 3; ++kw) {
            const int64_t iw = ow * 2 + kw;
            if (iw >= size) continue;  // the right padding column
            const float* x = image + (ih * size + iw) * kIn;
            const float* w = taps + (kh * 3 + kw) * kIn * kOut;
            for (int64_t ci = 0; ci < kIn; ++ci) {
              const __m256 xv = _mm256_set1_ps(x[ci]);
              for (int j = 0; j < 4; ++j) acc[j] = _mm256_fmadd_ps(xv, _mm256_loadu_ps(w + ci * kOut + 8 * j), acc[j]);
            }
          }
        }
        float* o = out + (item * out_size + ow) * kOut;
        const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
        for (int j = 0; j < 4; ++j) _mm256_storeu_ps(o + 8 * j, _mm256_min_ps(_mm256_max_ps(acc[j], zero), six));
      }
    }
  }, /*min_chunk=*/8);
}

}  // namespace kiln
