#include "kiln/kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>

#include "kiln/kernels/cpu/internal/chunking.h"
#include "kiln/kernels/cpu/internal/simd_math.h"

namespace kiln::cpu {
namespace {

using internal::kMinElementsPerChunk;
using internal::MinRows;
using internal::SumDouble;
using internal::SumSquaredDeviation;

// Statistics are two-pass in double: the mean first, then the squared
// deviations from it, so large offsets (VAE activations reach 1e3) do not
// cancel away the variance as E[x²] - E[x]² would in f32. gamma and beta are
// both given or both null (no affine part).
void NormalizeRows(ThreadPool& pool, float* out, const float* in, const float* gamma, const float* beta,
                   int64_t rows, int64_t cols, float eps) {
  pool.ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* x = in + r * cols;  // (cols)
          float* y = out + r * cols;       // (cols)
          const double mean = SumDouble(x, cols) / cols;
          const double var = SumSquaredDeviation(x, cols, mean) / cols;
          const float rstd = static_cast<float>(1.0 / std::sqrt(var + eps));
          const float m = static_cast<float>(mean);
          if (gamma == nullptr) {
            for (int64_t c = 0; c < cols; ++c) y[c] = (x[c] - m) * rstd;
          } else {
            for (int64_t c = 0; c < cols; ++c) y[c] = (x[c] - m) * rstd * gamma[c] + beta[c];
          }
        }
      },
      MinRows(cols));
}

}  // namespace

void LayerNorm(ThreadPool& pool, float* out, const float* in, int64_t rows, int64_t cols, float eps) {
  NormalizeRows(pool, out, in, nullptr, nullptr, rows, cols, eps);
}

void LayerNormAffine(ThreadPool& pool, float* out, const float* in, const float* gamma, const float* beta,
                     int64_t rows, int64_t cols, float eps) {
  NormalizeRows(pool, out, in, gamma, beta, rows, cols, eps);
}

void RmsNorm(ThreadPool& pool, float* out, const float* in, const float* scale, int64_t rows,
             int64_t cols, float eps) {
  pool.ParallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float* x = in + r * cols;  // (cols)
          float* y = out + r * cols;       // (cols)
          const double mean_square = SumSquaredDeviation(x, cols, 0.0) / cols;
          const float rrms = static_cast<float>(1.0 / std::sqrt(mean_square + eps));
          for (int64_t c = 0; c < cols; ++c) y[c] = x[c] * rrms * scale[c];
        }
      },
      MinRows(cols));
}

void GroupNorm(ThreadPool& pool, float* out, const float* in, const float* gamma, const float* beta,
               int64_t batch, int64_t channels, int64_t spatial, int64_t groups, float eps) {
  const int64_t group_channels = channels / groups;
  const int64_t group_size = group_channels * spatial;  // a group is contiguous in NCHW
  // One work item per (batch, group).
  pool.ParallelFor(
      batch * groups,
      [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
          const float* x = in + item * group_size;  // (group_channels, spatial)
          float* y = out + item * group_size;       // (group_channels, spatial)
          const double mean = SumDouble(x, group_size) / group_size;
          const double var = SumSquaredDeviation(x, group_size, mean) / group_size;
          const double rstd = 1.0 / std::sqrt(var + eps);
          const int64_t first_channel = (item % groups) * group_channels;
          for (int64_t gc = 0; gc < group_channels; ++gc) {
            // Subtracting the mean before scaling (rather than folding it
            // into the bias) keeps precision when |mean| ≫ std.
            const int64_t c = first_channel + gc;
            const float m = static_cast<float>(mean);
            const float a = static_cast<float>(rstd * gamma[c]);
            const float b = beta[c];
            const float* xc = x + gc * spatial;
            float* yc = y + gc * spatial;
            for (int64_t s = 0; s < spatial; ++s) yc[s] = (xc[s] - m) * a + b;
          }
        }
      },
      std::max<int64_t>(1, kMinElementsPerChunk / std::max<int64_t>(1, group_size)));
}

}  // namespace kiln::cpu
