#include "kiln/models/t5/t5_attention.h"

#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/matmul.h"

namespace kiln {

StatusOr<T5Attention> T5Attention::Load(const WeightLoader& weights, const std::string& prefix,
                                        const T5Config& config) {
  T5Attention a;
  a.heads = config.num_heads;
  a.head_dim = config.d_kv;
  const int64_t d_model = config.d_model, inner = config.inner_dim();
  KILN_ASSIGN_OR_RETURN(a.q, LinearLayer::Load(weights, prefix + ".q", d_model, inner, false));
  KILN_ASSIGN_OR_RETURN(a.k, LinearLayer::Load(weights, prefix + ".k", d_model, inner, false));
  KILN_ASSIGN_OR_RETURN(a.v, LinearLayer::Load(weights, prefix + ".v", d_model, inner, false));
  KILN_ASSIGN_OR_RETURN(a.o, LinearLayer::Load(weights, prefix + ".o", inner, d_model, false));
  return a;
}

void T5Attention::Forward(ThreadPool& pool, float* out, const float* in, int64_t batch, int64_t seq_len,
                          T5Workspace& ws) const {
  const int64_t rows = batch * seq_len, inner = heads * head_dim;
  q.Forward(pool, ws.q.data(), in, rows);
  k.Forward(pool, ws.k.data(), in, rows);
  v.Forward(pool, ws.v.data(), in, rows);

  // Head h of item b is the column block [h·d_kv, (h+1)·d_kv) of rows
  // [b·seq_len, (b+1)·seq_len) in q, k, v and attn: strided GEMMs read and
  // write it in place, so no (batch, heads, seq_len, d_kv) copies are made.
  for (int64_t b = 0; b < batch; ++b) {
    const float* key_bias = ws.key_bias.data() + b * seq_len;  // (seq_len)
    pool.ParallelFor(heads, [&](int64_t h0, int64_t h1) {
      // Kernel calls inside a chunk run inline, single-threaded.
      for (int64_t h = h0; h < h1; ++h) {
        const int64_t offset = b * seq_len * inner + h * head_dim;
        float* scores = ws.scores.data() + h * seq_len * seq_len;  // (seq_len, seq_len)
        const float* bias = ws.position_bias.data() + h * seq_len * seq_len;
        cpu::Gemm(pool, false, true, seq_len, seq_len, head_dim, 1.0f, ws.q.data() + offset, inner,
                  ws.k.data() + offset, inner, 0.0f, scores, seq_len);
        // The reference adds (position_bias + mask) to the scores; the same
        // order gives the same rounding.
        for (int64_t i = 0; i < seq_len; ++i) {
          for (int64_t j = 0; j < seq_len; ++j) scores[i * seq_len + j] += bias[i * seq_len + j] + key_bias[j];
        }
        cpu::Softmax(pool, scores, seq_len, seq_len);
        cpu::Gemm(pool, false, false, seq_len, head_dim, seq_len, 1.0f, scores, seq_len, ws.v.data() + offset,
                  inner, 0.0f, ws.attn.data() + offset, inner);
      }
    });
  }
  o.Forward(pool, out, ws.attn.data(), rows);
}

}  // namespace kiln
