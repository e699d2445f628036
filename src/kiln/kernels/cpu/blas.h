// Sgemm: the one door to BLAS for the CPU kernels.
//
// Row-major c = alpha·op(a)·op(b) + beta·c on the calling thread only. The
// first call sets OpenBLAS to one thread: Kiln's ThreadPool does the
// splitting, and BLAS threads under it would oversubscribe the cores. Safe to
// call from several threads at once (the pthreads OpenBLAS build locks its
// buffers; see docs/DEPENDENCIES.md for why not the serial build).
#pragma once

#include <cstdint>

namespace kiln::cpu {

void Sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

}  // namespace kiln::cpu
