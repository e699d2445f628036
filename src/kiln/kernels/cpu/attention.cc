#include "kiln/kernels/cpu/attention.h"

#include <algorithm>
#include <cmath>

#include "kiln/kernels/cpu/blas.h"
#include "kiln/kernels/cpu/internal/scratch.h"
#include "kiln/kernels/cpu/internal/softmax_row.h"

namespace kiln::cpu {
namespace {

struct AttentionScratchTag {};

// Query rows per work item: bounds the score block (rows × kv_len) to a few
// MB at FLUX's 4608 tokens, so it stays cache-friendly and scratch stays small.
constexpr int64_t kMaxQueryBlock = 128;

}  // namespace

void Attention(ThreadPool& pool, float* out, const float* q, const float* k, const float* v,
               int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim) {
  if (q_len <= 0 || batch * heads <= 0) return;
  const int64_t batch_heads = batch * heads;
  // Enough query blocks per head that every thread gets work even when
  // batch × heads is smaller than the pool.
  const int64_t threads = pool.num_threads();
  int64_t blocks_per_head = (q_len + kMaxQueryBlock - 1) / kMaxQueryBlock;
  if (batch_heads * blocks_per_head < threads) {
    blocks_per_head = std::min(q_len, (threads + batch_heads - 1) / batch_heads);
  }
  const int64_t block = (q_len + blocks_per_head - 1) / blocks_per_head;
  blocks_per_head = (q_len + block - 1) / block;  // rounding up the block may leave fewer
  const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
  const int64_t out_row_stride = heads * head_dim;

  pool.ParallelFor(batch_heads * blocks_per_head, [&](int64_t begin, int64_t end) {
    float* scores = internal::ThreadScratch<AttentionScratchTag>(block * kv_len);  // (block, kv_len)
    for (int64_t item = begin; item < end; ++item) {
      const int64_t bh = item / blocks_per_head;
      const int64_t q0 = (item % blocks_per_head) * block;
      const int64_t rows = std::min(block, q_len - q0);
      const int64_t b = bh / heads, h = bh % heads;
      const float* qb = q + (bh * q_len + q0) * head_dim;  // (rows, head_dim)
      const float* kh = k + bh * kv_len * head_dim;        // (kv_len, head_dim)
      const float* vh = v + bh * kv_len * head_dim;        // (kv_len, head_dim)
      float* ob = out + (b * q_len + q0) * out_row_stride + h * head_dim;  // (rows, head_dim), row stride heads·head_dim

      // scores = scale · qb · khᵀ
      Sgemm(false, true, rows, kv_len, head_dim, scale, qb, head_dim, kh, head_dim, 0.0f, scores, kv_len);
      for (int64_t r = 0; r < rows; ++r) internal::SoftmaxRow(scores + r * kv_len, kv_len);
      // ob = scores · vh, written straight into the (batch, q_len, heads, head_dim) layout.
      Sgemm(false, false, rows, head_dim, kv_len, 1.0f, scores, kv_len, vh, head_dim, 0.0f, ob, out_row_stride);
    }
  });
}

}  // namespace kiln::cpu
