#include "kiln/kernels/cpu/matmul.h"

#include <gtest/gtest.h>

#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::AllNear;
using testing::kThreadCounts;
using testing::RandomVector;

// out (rows, out_features) = in · weightᵀ + bias, in double.
std::vector<double> NaiveLinear(const std::vector<float>& in, const std::vector<float>& weight,
                                const float* bias, int64_t rows, int64_t in_features,
                                int64_t out_features) {
  std::vector<double> out(rows * out_features);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out_features; ++o) {
      double acc = bias != nullptr ? bias[o] : 0.0;
      for (int64_t i = 0; i < in_features; ++i) {
        acc += static_cast<double>(in[r * in_features + i]) * weight[o * in_features + i];
      }
      out[r * out_features + o] = acc;
    }
  }
  return out;
}

void CheckLinear(int64_t rows, int64_t in_features, int64_t out_features, bool with_bias) {
  const auto in = RandomVector(rows * in_features, 1);
  const auto weight = RandomVector(out_features * in_features, 2);
  const auto bias = RandomVector(out_features, 3);
  const float* b = with_bias ? bias.data() : nullptr;
  const auto want = NaiveLinear(in, weight, b, rows, in_features, out_features);
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(rows * out_features, -7.0f);  // garbage the kernel must overwrite
    Linear(pool, out.data(), in.data(), weight.data(), b, rows, in_features, out_features);
    EXPECT_TRUE(AllNear(out, want)) << "threads=" << threads << " rows=" << rows;
  }
}

TEST(MatmulTest, LinearOddSizesWithBias) { CheckLinear(7, 33, 19, true); }
TEST(MatmulTest, LinearWithoutBias) { CheckLinear(7, 33, 19, false); }
// Few rows, many outputs: the columns are split across threads.
TEST(MatmulTest, LinearSingleRowSplitsColumns) { CheckLinear(1, 45, 259, true); }
// Many rows, few outputs: the rows are split across threads.
TEST(MatmulTest, LinearManyRowsSplitsRows) { CheckLinear(101, 17, 5, true); }

struct GemmCase {
  bool transpose_a, transpose_b;
  int64_t m, n, k;
};

void CheckGemm(const GemmCase& g) {
  // Stored shapes with padded row strides, to check lda/ldb/ldc are honoured.
  const int64_t a_rows = g.transpose_a ? g.k : g.m, a_cols = g.transpose_a ? g.m : g.k;
  const int64_t b_rows = g.transpose_b ? g.n : g.k, b_cols = g.transpose_b ? g.k : g.n;
  const int64_t lda = a_cols + 3, ldb = b_cols + 2, ldc = g.n + 5;
  const auto a = RandomVector(a_rows * lda, 4);
  const auto b = RandomVector(b_rows * ldb, 5);
  const auto c0 = RandomVector(g.m * ldc, 6);
  const float alpha = 0.5f, beta = 0.75f;

  std::vector<double> want(c0.begin(), c0.end());
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (int64_t p = 0; p < g.k; ++p) {
        const double av = g.transpose_a ? a[p * lda + i] : a[i * lda + p];
        const double bv = g.transpose_b ? b[j * ldb + p] : b[p * ldb + j];
        acc += av * bv;
      }
      want[i * ldc + j] = alpha * acc + beta * static_cast<double>(c0[i * ldc + j]);
    }
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> c = c0;
    Gemm(pool, g.transpose_a, g.transpose_b, g.m, g.n, g.k, alpha, a.data(), lda, b.data(), ldb, beta,
         c.data(), ldc);
    EXPECT_TRUE(AllNear(c, want)) << "threads=" << threads << " ta=" << g.transpose_a
                                  << " tb=" << g.transpose_b << " m=" << g.m << " n=" << g.n;
  }
}

TEST(MatmulTest, GemmAllTransposesWithStrides) {
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      CheckGemm({ta, tb, 7, 9, 13});
      CheckGemm({ta, tb, 3, 150, 11});  // column split
      CheckGemm({ta, tb, 150, 3, 11});  // row split
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
