#include "kiln/kernels/cpu/elementwise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "unit/kernels/kernel_test_util.h"

namespace kiln::cpu {
namespace {

using testing::AllNear;
using testing::kThreadCounts;
using testing::RandomVector;

// Long enough that a pool of 2 really splits it; odd so chunks end mid-vector.
constexpr int64_t kLongN = 50021;

template <typename Kernel, typename Reference>
void CheckUnary(Kernel kernel, Reference reference, float lo, float hi) {
  for (int64_t n : {int64_t{37}, kLongN}) {
    const auto in = RandomVector(n, 51, lo, hi);
    std::vector<double> want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = reference(static_cast<double>(in[i]));
    for (int threads : kThreadCounts) {
      ThreadPool pool(threads);
      std::vector<float> out(n);
      kernel(pool, out.data(), in.data(), n);
      EXPECT_TRUE(AllNear(out, want, 2e-6, 1e-7)) << "threads=" << threads << " n=" << n;
      std::vector<float> in_place = in;
      kernel(pool, in_place.data(), in_place.data(), n);
      EXPECT_EQ(in_place, out) << "threads=" << threads << " n=" << n;
    }
  }
}

TEST(ElementwiseTest, Silu) {
  CheckUnary(Silu, [](double x) { return x / (1.0 + std::exp(-x)); }, -20.0f, 20.0f);
}

TEST(ElementwiseTest, GeluTanhMatchesTorchFormula) {
  const auto gelu = [](double x) {
    const double u = std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x);
    return 0.5 * x * (1.0 + std::tanh(u));
  };
  CheckUnary(GeluTanh, gelu, -8.0f, 8.0f);
}

TEST(GeluErfTest, MatchesExactFormula) {
  CheckUnary(GeluErf, [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }, -8.0f, 8.0f);
}

TEST(GeluErfTest, KnownValuesAndExtremes) {
  // torch.nn.functional.gelu (approximate="none") in f64: gelu(1) and gelu(-1).
  const std::vector<float> in = {-1e4f, -90.0f, -1.0f, 0.0f, 1.0f, 90.0f, 1e4f};
  ThreadPool pool(1);
  std::vector<float> out(in.size());
  GeluErf(pool, out.data(), in.data(), static_cast<int64_t>(in.size()));
  EXPECT_NEAR(out[2], -0.15865525393145707, 3e-7);
  EXPECT_NEAR(out[4], 0.8413447460685429, 3e-7);
  EXPECT_EQ(out[3], 0.0f);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_TRUE(std::isfinite(out[i])) << "x=" << in[i];
    if (std::fabs(in[i]) >= 90.0f) {
      EXPECT_EQ(out[i], in[i] > 0 ? in[i] : 0.0f) << "x=" << in[i];
    }
  }
}

TEST(ElementwiseTest, ExtremeInputsStayFinite) {
  const std::vector<float> in = {-1e4f, -200.0f, -90.0f, 0.0f, 90.0f, 200.0f, 1e4f};
  ThreadPool pool(1);
  std::vector<float> silu(in.size()), gelu(in.size());
  Silu(pool, silu.data(), in.data(), static_cast<int64_t>(in.size()));
  GeluTanh(pool, gelu.data(), in.data(), static_cast<int64_t>(in.size()));
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_TRUE(std::isfinite(silu[i]) && std::isfinite(gelu[i])) << "x=" << in[i];
    if (in[i] > 0) {
      EXPECT_EQ(silu[i], in[i]);
      EXPECT_EQ(gelu[i], in[i]);
    } else {
      EXPECT_NEAR(silu[i], 0.0f, 1e-30f);
      EXPECT_NEAR(gelu[i], 0.0f, 1e-30f);
    }
  }
}

TEST(ElementwiseTest, AddInPlace) {
  for (int64_t n : {int64_t{37}, kLongN}) {
    const auto a = RandomVector(n, 52), b = RandomVector(n, 53);
    std::vector<double> want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) + b[i];
    for (int threads : kThreadCounts) {
      ThreadPool pool(threads);
      std::vector<float> out = a;
      Add(pool, out.data(), out.data(), b.data(), n);
      EXPECT_TRUE(AllNear(out, want)) << "threads=" << threads;
    }
  }
}

void CheckSoftmax(int64_t rows, int64_t cols) {
  // Values near 1000: exp overflows unless the row max is subtracted.
  const auto x0 = RandomVector(rows * cols, 54, 990.0f, 1000.0f);
  std::vector<double> want(x0.size());
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = x0.data() + r * cols;
    const double max = *std::max_element(x, x + cols);
    double sum = 0.0;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(x[c] - max);
    for (int64_t c = 0; c < cols; ++c) want[r * cols + c] = std::exp(x[c] - max) / sum;
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> x = x0;
    Softmax(pool, x.data(), rows, cols);
    EXPECT_TRUE(AllNear(x, want, 1e-5, 1e-7)) << "threads=" << threads;
  }
}

TEST(ElementwiseTest, SoftmaxOddSizesLargeValues) { CheckSoftmax(7, 33); }
TEST(ElementwiseTest, SoftmaxShortRowsThreaded) { CheckSoftmax(2001, 5); }

TEST(ElementwiseTest, ModulateWithStridedShiftScale) {
  const int64_t batch = 2, tokens = 5, dim = 33, mod_stride = 3 * dim;
  const auto in = RandomVector(batch * tokens * dim, 55);
  // shift and scale are chunks of one (batch, 3·dim) modulation vector, as in FLUX.
  const auto mod = RandomVector(batch * mod_stride, 56);
  const float* shift = mod.data();
  const float* scale = mod.data() + dim;
  std::vector<double> want(in.size());
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t d = 0; d < dim; ++d) {
        const int64_t i = (b * tokens + t) * dim + d;
        want[i] = (1.0 + scale[b * mod_stride + d]) * in[i] + shift[b * mod_stride + d];
      }
    }
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(in.size());
    Modulate(pool, out.data(), in.data(), shift, scale, mod_stride, batch, tokens, dim);
    EXPECT_TRUE(AllNear(out, want)) << "threads=" << threads;
    std::vector<float> in_place = in;
    Modulate(pool, in_place.data(), in_place.data(), shift, scale, mod_stride, batch, tokens, dim);
    EXPECT_EQ(in_place, out) << "threads=" << threads;
  }
}

TEST(ElementwiseTest, GatedAdd) {
  const int64_t batch = 2, tokens = 601, dim = 33, gate_stride = 2 * dim;
  const auto x0 = RandomVector(batch * tokens * dim, 57);
  const auto y = RandomVector(batch * tokens * dim, 58);
  const auto gates = RandomVector(batch * gate_stride, 59);
  const float* gate = gates.data() + dim;
  std::vector<double> want(x0.size());
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t t = 0; t < tokens; ++t) {
      for (int64_t d = 0; d < dim; ++d) {
        const int64_t i = (b * tokens + t) * dim + d;
        want[i] = x0[i] + static_cast<double>(gate[b * gate_stride + d]) * y[i];
      }
    }
  }
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> x = x0;
    GatedAdd(pool, x.data(), y.data(), gate, gate_stride, batch, tokens, dim);
    EXPECT_TRUE(AllNear(x, want)) << "threads=" << threads;
  }
}

TEST(ElementwiseTest, UpsampleNearest2x) {
  for (int64_t height : {int64_t{5}, int64_t{301}}) {
    const int64_t planes = 3, width = 19;  // two vectors and a ragged tail per row
    const auto in = RandomVector(planes * height * width, 60);
    std::vector<float> want(planes * 4 * height * width);
    for (int64_t p = 0; p < planes; ++p) {
      for (int64_t y = 0; y < 2 * height; ++y) {
        for (int64_t x = 0; x < 2 * width; ++x) {
          want[(p * 2 * height + y) * 2 * width + x] = in[(p * height + y / 2) * width + x / 2];
        }
      }
    }
    for (int threads : kThreadCounts) {
      ThreadPool pool(threads);
      std::vector<float> out(want.size(), -7.0f);
      UpsampleNearest2x(pool, out.data(), in.data(), planes, height, width);
      EXPECT_EQ(out, want) << "threads=" << threads << " height=" << height;
    }
  }
}

}  // namespace
}  // namespace kiln::cpu
