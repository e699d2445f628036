// Matrix products on CPU, f32. Single-threaded OpenBLAS does the inner
// product; the rows or columns are split across the shared ThreadPool.
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

// torch.nn.Linear: out = in · weightᵀ + bias.
//   out    (rows, out_features)
//   in     (rows, in_features)
//   weight (out_features, in_features)
//   bias   (out_features) or nullptr
void Linear(ThreadPool& pool, float* out, const float* in, const float* weight, const float* bias,
            int64_t rows, int64_t in_features, int64_t out_features);

// General row-major product: c = alpha · op(a) · op(b) + beta · c, where op
// transposes when asked. op(a) is (m, k), op(b) is (k, n), c is (m, n);
// lda/ldb/ldc are the row strides of a, b and c as stored.
void Gemm(ThreadPool& pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
          float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
          float* c, int64_t ldc);

}  // namespace kiln::cpu
