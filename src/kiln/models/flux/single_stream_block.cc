#include "kiln/models/flux/single_stream_block.h"

#include <cstring>

#include "kiln/kernels/cpu/attention.h"
#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/matmul.h"
#include "kiln/kernels/cpu/norm.h"
#include "kiln/kernels/cpu/qkv_split.h"

namespace kiln {
namespace {
constexpr float kEps = 1e-6f;
}  // namespace

StatusOr<SingleStreamBlock> SingleStreamBlock::Load(const WeightLoader& weights, const std::string& prefix,
                                                    const FluxConfig& c) {
  const int64_t h = c.hidden_size, mlp = c.mlp_hidden();
  SingleStreamBlock b;
  KILN_ASSIGN_OR_RETURN(b.modulation, LinearLayer::Load(weights, prefix + ".modulation.lin", h, 3 * h, true));
  // FLUX.1 always has a bias on linear1; qkv_bias only concerns the double blocks.
  KILN_ASSIGN_OR_RETURN(b.linear1, LinearLayer::Load(weights, prefix + ".linear1", h, 3 * h + mlp, true));
  KILN_ASSIGN_OR_RETURN(b.linear2, LinearLayer::Load(weights, prefix + ".linear2", h + mlp, h, true));
  KILN_ASSIGN_OR_RETURN(b.q_scale, weights.Get(prefix + ".norm.query_norm.scale", {c.head_dim()}));
  KILN_ASSIGN_OR_RETURN(b.k_scale, weights.Get(prefix + ".norm.key_norm.scale", {c.head_dim()}));
  return b;
}

void SingleStreamBlock::Forward(ThreadPool& pool, FluxWorkspace& ws, const FluxConfig& config) const {
  const int64_t hidden = config.hidden_size, mlp = config.mlp_hidden();
  const int64_t tokens = ws.total_tokens();
  const int64_t rows = ws.batch * tokens;
  const int64_t wide = 3 * hidden + mlp;  // linear1's output row: [q k v | mlp]
  float* mod = ws.mod_img.data();         // (batch, 3·hidden)

  modulation.Forward(pool, mod, ws.vec_silu.data(), ws.batch);
  cpu::LayerNorm(pool, ws.normed.data(), ws.joint.data(), rows, hidden, kEps);
  cpu::Modulate(pool, ws.normed.data(), ws.normed.data(), mod, mod + hidden, 3 * hidden, ws.batch, tokens,
                hidden);
  linear1.Forward(pool, ws.qkv.data(), ws.normed.data(), rows);

  cpu::QkvSplitParams p;
  p.batch = ws.batch;
  p.tokens = tokens;
  p.total_tokens = tokens;
  p.token_offset = 0;
  p.heads = config.num_heads;
  p.head_dim = config.head_dim();
  p.qkv_row_stride = wide;
  p.eps = kEps;
  cpu::SplitQkvNormRope(pool, ws.q.data(), ws.k.data(), ws.v.data(), ws.qkv.data(), q_scale.f32(),
                        k_scale.f32(), ws.pe.data(), p);
  cpu::Attention(pool, ws.attn.data(), ws.q.data(), ws.k.data(), ws.v.data(), ws.batch, config.num_heads,
                 tokens, tokens, config.head_dim());

  // gelu on the mlp half of linear1's output, in place.
  float* qkv = ws.qkv.data();
  pool.ParallelFor(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      float* m = qkv + r * wide + 3 * hidden;
      cpu::GeluTanh(pool, m, m, mlp);
    }
  });

  // linear2(cat(attn, gelu(mlp))) as two products over the two column blocks
  // of its weight, so the concatenation is never materialised.
  float* out = ws.proj.data();
  const float* w2 = linear2.weight.f32();  // (hidden, hidden + mlp)
  for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * hidden, linear2.bias.f32(), hidden * sizeof(float));
  cpu::Gemm(pool, false, true, rows, hidden, hidden, 1.0f, ws.attn.data(), hidden, w2, hidden + mlp, 1.0f, out,
            hidden);
  cpu::Gemm(pool, false, true, rows, hidden, mlp, 1.0f, qkv + 3 * hidden, wide, w2 + hidden, hidden + mlp, 1.0f,
            out, hidden);
  cpu::GatedAdd(pool, ws.joint.data(), out, mod + 2 * hidden, 3 * hidden, ws.batch, tokens, hidden);
}

}  // namespace kiln
