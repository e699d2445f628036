#include "kiln/models/flux/double_stream_block.h"

#include <cstring>

#include "kiln/kernels/cpu/attention.h"
#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/norm.h"
#include "kiln/kernels/cpu/qkv_split.h"

namespace kiln {
namespace {
constexpr float kEps = 1e-6f;

// LayerNorm then (1 + scale)·x + shift, into ws.normed.
//   x (batch, tokens, hidden); mod (batch, 6·hidden) with shift at mod_offset
void NormModulate(ThreadPool& pool, FluxWorkspace& ws, const float* x, const float* mod,
                  int64_t mod_offset, int64_t tokens, int64_t hidden) {
  const int64_t rows = ws.batch * tokens;
  cpu::LayerNorm(pool, ws.normed.data(), x, rows, hidden, kEps);
  cpu::Modulate(pool, ws.normed.data(), ws.normed.data(), mod + mod_offset, mod + mod_offset + hidden,
                6 * hidden, ws.batch, tokens, hidden);
}

// Modulated qkv projection of one stream into ws.q/k/v at its token offset.
void StreamQkv(ThreadPool& pool, FluxWorkspace& ws, const FluxStreamWeights& w, const float* x,
               const float* mod, int64_t tokens, int64_t token_offset, const FluxConfig& config) {
  const int64_t hidden = config.hidden_size;
  NormModulate(pool, ws, x, mod, 0, tokens, hidden);
  w.qkv.Forward(pool, ws.qkv.data(), ws.normed.data(), ws.batch * tokens);
  cpu::QkvSplitParams p;
  p.batch = ws.batch;
  p.tokens = tokens;
  p.total_tokens = ws.total_tokens();
  p.token_offset = token_offset;
  p.heads = config.num_heads;
  p.head_dim = config.head_dim();
  p.qkv_row_stride = 3 * hidden;
  p.eps = kEps;
  cpu::SplitQkvNormRope(pool, ws.q.data(), ws.k.data(), ws.v.data(), ws.qkv.data(), w.q_scale.f32(),
                        w.k_scale.f32(), ws.pe.data(), p);
}

// x += gate1·proj(attn) ; x += gate2·mlp((1 + scale2)·LN(x) + shift2)
void StreamAfterAttention(ThreadPool& pool, FluxWorkspace& ws, const FluxStreamWeights& w, float* x,
                          const float* mod, int64_t tokens, int64_t token_offset,
                          const FluxConfig& config) {
  const int64_t hidden = config.hidden_size;
  const int64_t rows = ws.batch * tokens;
  // This stream's rows of the joint attention output, made contiguous.
  for (int64_t b = 0; b < ws.batch; ++b) {
    std::memcpy(ws.stream.data() + b * tokens * hidden,
                ws.attn.data() + (b * ws.total_tokens() + token_offset) * hidden,
                tokens * hidden * sizeof(float));
  }
  w.proj.Forward(pool, ws.proj.data(), ws.stream.data(), rows);
  cpu::GatedAdd(pool, x, ws.proj.data(), mod + 2 * hidden, 6 * hidden, ws.batch, tokens, hidden);

  NormModulate(pool, ws, x, mod, 3 * hidden, tokens, hidden);
  w.mlp0.Forward(pool, ws.mlp.data(), ws.normed.data(), rows);
  cpu::GeluTanh(pool, ws.mlp.data(), ws.mlp.data(), rows * config.mlp_hidden());
  w.mlp2.Forward(pool, ws.proj.data(), ws.mlp.data(), rows);
  cpu::GatedAdd(pool, x, ws.proj.data(), mod + 5 * hidden, 6 * hidden, ws.batch, tokens, hidden);
}
}  // namespace

StatusOr<FluxStreamWeights> FluxStreamWeights::Load(const WeightLoader& weights, const std::string& prefix,
                                                    const std::string& stream, const FluxConfig& c) {
  const std::string p = prefix + "." + stream;
  const int64_t h = c.hidden_size;
  FluxStreamWeights w;
  KILN_ASSIGN_OR_RETURN(w.mod, LinearLayer::Load(weights, p + "_mod.lin", h, 6 * h, true));
  KILN_ASSIGN_OR_RETURN(w.qkv, LinearLayer::Load(weights, p + "_attn.qkv", h, 3 * h, c.qkv_bias));
  KILN_ASSIGN_OR_RETURN(w.q_scale, weights.Get(p + "_attn.norm.query_norm.scale", {c.head_dim()}));
  KILN_ASSIGN_OR_RETURN(w.k_scale, weights.Get(p + "_attn.norm.key_norm.scale", {c.head_dim()}));
  KILN_ASSIGN_OR_RETURN(w.proj, LinearLayer::Load(weights, p + "_attn.proj", h, h, true));
  KILN_ASSIGN_OR_RETURN(w.mlp0, LinearLayer::Load(weights, p + "_mlp.0", h, c.mlp_hidden(), true));
  KILN_ASSIGN_OR_RETURN(w.mlp2, LinearLayer::Load(weights, p + "_mlp.2", c.mlp_hidden(), h, true));
  return w;
}

StatusOr<DoubleStreamBlock> DoubleStreamBlock::Load(const WeightLoader& weights, const std::string& prefix,
                                                    const FluxConfig& config) {
  DoubleStreamBlock block;
  KILN_ASSIGN_OR_RETURN(block.img, FluxStreamWeights::Load(weights, prefix, "img", config));
  KILN_ASSIGN_OR_RETURN(block.txt, FluxStreamWeights::Load(weights, prefix, "txt", config));
  return block;
}

void DoubleStreamBlock::Forward(ThreadPool& pool, FluxWorkspace& ws, const FluxConfig& config) const {
  const int64_t txt_tokens = ws.txt_tokens, img_tokens = ws.img_tokens;
  img.mod.Forward(pool, ws.mod_img.data(), ws.vec_silu.data(), ws.batch);
  txt.mod.Forward(pool, ws.mod_txt.data(), ws.vec_silu.data(), ws.batch);

  // Joint attention over [txt, img].
  StreamQkv(pool, ws, txt, ws.txt.data(), ws.mod_txt.data(), txt_tokens, 0, config);
  StreamQkv(pool, ws, img, ws.img.data(), ws.mod_img.data(), img_tokens, txt_tokens, config);
  cpu::Attention(pool, ws.attn.data(), ws.q.data(), ws.k.data(), ws.v.data(), ws.batch, config.num_heads,
                 ws.total_tokens(), ws.total_tokens(), config.head_dim());

  StreamAfterAttention(pool, ws, img, ws.img.data(), ws.mod_img.data(), img_tokens, txt_tokens, config);
  StreamAfterAttention(pool, ws, txt, ws.txt.data(), ws.mod_txt.data(), txt_tokens, 0, config);
}

}  // namespace kiln
