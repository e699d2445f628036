#include "kiln/kernels/cpu/blas.h"

#include <cblas.h>

#include <mutex>

namespace kiln::cpu {
namespace {

void UseOneBlasThread() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

int Blas(int64_t v) { return static_cast<int>(v); }

}  // namespace

void Sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  UseOneBlasThread();
  cblas_sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans, transpose_b ? CblasTrans : CblasNoTrans,
              Blas(m), Blas(n), Blas(k), alpha, a, Blas(lda), b, Blas(ldb), beta, c, Blas(ldc));
}

}  // namespace kiln::cpu
