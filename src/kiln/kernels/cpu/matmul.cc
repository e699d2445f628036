#include "kiln/kernels/cpu/matmul.h"

#include <algorithm>

#include "kiln/kernels/cpu/blas.h"

namespace kiln::cpu {
namespace {

// Smallest slice of rows or columns handed to one thread: thinner slices make
// OpenBLAS's packing overhead dominate (and cost a thread hand-off).
constexpr int64_t kMinRowsPerChunk = 16;
constexpr int64_t kMinColsPerChunk = 64;

}  // namespace

void Linear(ThreadPool& pool, float* out, const float* in, const float* weight, const float* bias,
            int64_t rows, int64_t in_features, int64_t out_features) {
  // out (rows, out_features) = in (rows, in_features) · weight (out_features, in_features)ᵀ
  const auto product = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
    float* c = out + r0 * out_features + c0;  // (r1 - r0, c1 - c0), row stride out_features
    float beta = 0.0f;
    if (bias != nullptr) {
      // Seed c with the bias and accumulate onto it: no second pass over out.
      for (int64_t r = r0; r < r1; ++r) std::copy(bias + c0, bias + c1, out + r * out_features + c0);
      beta = 1.0f;
    }
    Sgemm(false, true, r1 - r0, c1 - c0, in_features, 1.0f, in + r0 * in_features, in_features,
          weight + c0 * in_features, in_features, beta, c, out_features);
  };
  // Splitting rows makes every thread read all of weight; splitting columns
  // makes every thread read all of in. Split the side that is larger, so the
  // shared read is the smaller matrix: columns for the modulation Linear on one
  // vector, rows for the token projections.
  if (rows >= out_features) {
    pool.ParallelFor(
        rows, [&](int64_t r0, int64_t r1) { product(r0, r1, 0, out_features); }, kMinRowsPerChunk);
  } else {
    pool.ParallelFor(
        out_features, [&](int64_t c0, int64_t c1) { product(0, rows, c0, c1); }, kMinColsPerChunk);
  }
}

void Gemm(ThreadPool& pool, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
          float alpha, const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
          float* c, int64_t ldc) {
  // Row i of op(a) starts at a + i·lda, or at a + i when a is stored transposed;
  // likewise column j of op(b) starts at b + j, or at b + j·ldb.
  const auto a_row = [&](int64_t i) { return transpose_a ? a + i : a + i * lda; };
  const auto b_col = [&](int64_t j) { return transpose_b ? b + j * ldb : b + j; };
  const auto product = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    Sgemm(transpose_a, transpose_b, i1 - i0, j1 - j0, k, alpha, a_row(i0), lda, b_col(j0), ldb, beta,
          c + i0 * ldc + j0, ldc);
  };
  if (m >= n) {
    pool.ParallelFor(m, [&](int64_t i0, int64_t i1) { product(i0, i1, 0, n); }, kMinRowsPerChunk);
  } else {
    pool.ParallelFor(n, [&](int64_t j0, int64_t j1) { product(0, m, j0, j1); }, kMinColsPerChunk);
  }
}

}  // namespace kiln::cpu
