#include "kiln/kernels/cpu/attention.h"

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

// out (batch, q_len, heads, head_dim) from q (batch, heads, q_len, head_dim),
// k, v (batch, heads, kv_len, head_dim), in double.
std::vector<double> NaiveAttention(const std::vector<float>& q, const std::vector<float>& k,
                                   const std::vector<float>& v, int64_t batch, int64_t heads,
                                   int64_t q_len, int64_t kv_len, int64_t head_dim) {
  std::vector<double> out(batch * q_len * heads * head_dim);
  std::vector<double> s(kv_len);
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t bh = b * heads + h;
      for (int64_t i = 0; i < q_len; ++i) {
        double max = -1e300;
        for (int64_t j = 0; j < kv_len; ++j) {
          double dot = 0.0;
          for (int64_t d = 0; d < head_dim; ++d) {
            dot += static_cast<double>(q[(bh * q_len + i) * head_dim + d]) * k[(bh * kv_len + j) * head_dim + d];
          }
          s[j] = dot * scale;
          max = std::max(max, s[j]);
        }
        double sum = 0.0;
        for (double& x : s) sum += (x = std::exp(x - max));
        for (int64_t d = 0; d < head_dim; ++d) {
          double acc = 0.0;
          for (int64_t j = 0; j < kv_len; ++j) acc += s[j] * v[(bh * kv_len + j) * head_dim + d];
          out[((b * q_len + i) * heads + h) * head_dim + d] = acc / sum;
        }
      }
    }
  }
  return out;
}

void CheckAttention(int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim,
                    float q_magnitude, double rel = 1e-5) {
  const auto q = RandomVector(batch * heads * q_len * head_dim, 11, -q_magnitude, q_magnitude);
  const auto k = RandomVector(batch * heads * kv_len * head_dim, 12);
  const auto v = RandomVector(batch * heads * kv_len * head_dim, 13);
  const auto want = NaiveAttention(q, k, v, batch, heads, q_len, kv_len, head_dim);
  for (int threads : kThreadCounts) {
    ThreadPool pool(threads);
    std::vector<float> out(want.size(), -7.0f);
    Attention(pool, out.data(), q.data(), k.data(), v.data(), batch, heads, q_len, kv_len, head_dim);
    EXPECT_TRUE(AllNear(out, want, rel, 1e-5)) << "threads=" << threads;
  }
}

TEST(AttentionTest, OddSizes) { CheckAttention(2, 3, 7, 13, 24, 1.0f); }
// One head, more queries than one block: split over query blocks, with a ragged last block.
TEST(AttentionTest, SingleHeadSplitsQueryBlocks) { CheckAttention(1, 1, 301, 13, 24, 1.0f); }
// Logits in the hundreds overflow exp unless the row max is subtracted. The
// f32 logits themselves are only good to ~1e-4 here, hence the tolerance.
TEST(AttentionTest, LargeLogitsStayFinite) { CheckAttention(1, 2, 5, 19, 16, 300.0f, 1e-3); }

}  // namespace
}  // namespace kiln::cpu
