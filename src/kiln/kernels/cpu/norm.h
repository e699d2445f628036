// Normalisations, f32. out may equal in (in place).
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

// LayerNorm over the last dim, no affine: (x - mean) / sqrt(var + eps).
//   out, in (rows, cols)
void LayerNorm(ThreadPool& pool, float* out, const float* in, int64_t rows, int64_t cols, float eps);

// LayerNorm over the last dim with affine (torch.nn.LayerNorm):
// (x - mean) / sqrt(var + eps) · gamma + beta.
//   out, in (rows, cols); gamma, beta (cols)
void LayerNormAffine(ThreadPool& pool, float* out, const float* in, const float* gamma, const float* beta,
                     int64_t rows, int64_t cols, float eps);

// RMSNorm with scale: x · rsqrt(mean(x²) + eps) · scale.
//   out, in (rows, cols); scale (cols)
void RmsNorm(ThreadPool& pool, float* out, const float* in, const float* scale, int64_t rows,
             int64_t cols, float eps);

// GroupNorm with affine over NCHW (spatial = H·W):
//   out, in (batch, channels, spatial); gamma, beta (channels)
// REQUIRES: channels % groups == 0
void GroupNorm(ThreadPool& pool, float* out, const float* in, const float* gamma, const float* beta,
               int64_t batch, int64_t channels, int64_t spatial, int64_t groups, float eps);

}  // namespace kiln::cpu
