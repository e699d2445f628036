// The fused front half of FLUX attention: split a qkv projection into heads,
// RMS-normalise q and k (QKNorm) and rotate them (RoPE), in one pass over
// the tokens. Equivalent to rearrange("B L (K H D) -> K B H L D") followed by
// RmsNorm and ApplyRope, without the intermediate copies.
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

struct QkvSplitParams {
  int64_t batch = 1;
  int64_t tokens = 0;        // tokens of this stream
  int64_t total_tokens = 0;  // tokens of the joint sequence (rows of q, k, v per head)
  int64_t token_offset = 0;  // where this stream's tokens start in the joint sequence
  int64_t heads = 0;
  int64_t head_dim = 0;
  int64_t qkv_row_stride = 0;  // floats between consecutive tokens of qkv (≥ 3·heads·head_dim)
  float eps = 1e-6f;
};

//   q, k, v   (batch, heads, total_tokens, head_dim), written at rows [token_offset, token_offset + tokens)
//   qkv       (batch, tokens, ≥3·heads·head_dim), row stride qkv_row_stride, laid out (3, heads, head_dim)
//   q_scale, k_scale (head_dim): RMSNorm scales
//   pe        (batch, total_tokens, head_dim/2, 2, 2): RoPE table (see rope.h)
void SplitQkvNormRope(ThreadPool& pool, float* q, float* k, float* v, const float* qkv,
                      const float* q_scale, const float* k_scale, const float* pe,
                      const QkvSplitParams& params);

}  // namespace kiln::cpu
