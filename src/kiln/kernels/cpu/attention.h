// Scaled dot-product attention, softmax(q·kᵀ/√head_dim)·v, f32, no mask.
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

//   out (batch, q_len, heads, head_dim)   — i.e. "B L (H D)", ready for the projection
//   q   (batch, heads, q_len, head_dim)
//   k,v (batch, heads, kv_len, head_dim)
// Threaded over batch × heads (and query blocks when those are few).
void Attention(ThreadPool& pool, float* out, const float* q, const float* k, const float* v,
               int64_t batch, int64_t heads, int64_t q_len, int64_t kv_len, int64_t head_dim);

}  // namespace kiln::cpu
