#include "kiln/kernels/cpu/depthwise_conv2d.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kiln/kernels/cpu/internal/chunking.h"

namespace kiln::cpu {
namespace {

// One output row (out_width pixels × channels). For each pixel and each block
// of 8 channels, one ymm accumulator starts from the bias and takes the valid
// taps in (kh, kw) order, then the optional ReLU6, then one store: the output
// is written once instead of read and written per tap (9×), which was the
// kernel's cost when the tap loop ran over the whole channel row. A ragged
// tail of channels takes the same arithmetic in scalar fma.
void DepthwiseRow(float* out_row, const float* image, const float* weight, const float* bias,
                  const DepthwiseConv2dParams& p, int64_t oh) {
  const int64_t c_n = p.channels, ow_n = p.out_width();
  const int64_t ih0 = oh * p.stride - p.pad_top;
  const int64_t kh_lo = std::max<int64_t>(0, -ih0), kh_hi = std::min<int64_t>(3, p.height - ih0);
  const int64_t c_vec = c_n / 8 * 8;
  const __m256 zero = _mm256_setzero_ps(), six = _mm256_set1_ps(6.0f);
  for (int64_t ow = 0; ow < ow_n; ++ow) {
    float* o = out_row + ow * c_n;
    const int64_t iw0 = ow * p.stride - p.pad_left;
    const int64_t kw_lo = std::max<int64_t>(0, -iw0), kw_hi = std::min<int64_t>(3, p.width - iw0);
    for (int64_t c = 0; c < c_vec; c += 8) {
      __m256 acc = bias != nullptr ? _mm256_loadu_ps(bias + c) : zero;
      for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
        for (int64_t kw = kw_lo; kw < kw_hi; ++kw) {
          const __m256 x = _mm256_loadu_ps(image + ((ih0 + kh) * p.width + iw0 + kw) * c_n + c);
          acc = _mm256_fmadd_ps(x, _mm256_loadu_ps(weight + (kh * 3 + kw) * c_n + c), acc);
        }
      }
      if (p.relu6) acc = _mm256_min_ps(_mm256_max_ps(acc, zero), six);
      _mm256_storeu_ps(o + c, acc);
    }
    for (int64_t c = c_vec; c < c_n; ++c) {
      float acc = bias != nullptr ? bias[c] : 0.0f;
      for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
        for (int64_t kw = kw_lo; kw < kw_hi; ++kw) {
          acc = std::fma(image[((ih0 + kh) * p.width + iw0 + kw) * c_n + c], weight[(kh * 3 + kw) * c_n + c], acc);
        }
      }
      o[c] = p.relu6 ? std::min(std::max(acc, 0.0f), 6.0f) : acc;
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
