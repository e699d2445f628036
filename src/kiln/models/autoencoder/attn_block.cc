#include "kiln/models/autoencoder/attn_block.h"

#include <cstring>

#include "kiln/kernels/cpu/attention.h"
#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/matmul.h"
#include "kiln/models/autoencoder/activation.h"

namespace kiln {
namespace {

// Fills each of rows rows of out (rows, cols) with bias (cols).
void BroadcastRows(float* out, const float* bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * cols, bias, cols * sizeof(float));
}

// Fills row r of out (rows, cols) with bias[r].
void BroadcastColumns(float* out, const float* bias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = bias[r];
  }
}

// A 1x1 conv that also transposes, per batch item: out = (W·n + b)ᵀ.
//   out    (B, L, C)  token-major, the layout Attention takes
//   n      (B, C, L)  channel-major, the layout of the activations
//   weight (C, C)     (C_out, C_in)
// Folding the transpose into the product saves a pass over q, k and v.
void ProjectToTokens(ThreadPool& pool, float* out, const float* n, const float* weight,
                     const float* bias, int64_t batch, int64_t channels, int64_t tokens) {
  for (int64_t b = 0; b < batch; ++b) {
    float* out_b = out + b * tokens * channels;
    BroadcastRows(out_b, bias, tokens, channels);
    // out_b (L, C) += n_bᵀ (L, C_in) · Wᵀ (C_in, C_out)
    cpu::Gemm(pool, /*transpose_a=*/true, /*transpose_b=*/true, tokens, channels, channels, 1.0f,
              n + b * channels * tokens, tokens, weight, channels, 1.0f, out_b, channels);
  }
}

}  // namespace

StatusOr<AttnBlock> AttnBlock::Load(const WeightLoader& weights, const std::string& name,
                                    int64_t channels) {
  AttnBlock block;
  block.channels = channels;
  KILN_ASSIGN_OR_RETURN(block.norm, GroupNormLayer::Load(weights, name + ".norm", channels));
  const Shape matrix{channels, channels, 1, 1};
  const Shape vector{channels};
  KILN_ASSIGN_OR_RETURN(block.q_weight, weights.Get(name + ".q.weight", matrix));
  KILN_ASSIGN_OR_RETURN(block.q_bias, weights.Get(name + ".q.bias", vector));
  KILN_ASSIGN_OR_RETURN(block.k_weight, weights.Get(name + ".k.weight", matrix));
  KILN_ASSIGN_OR_RETURN(block.k_bias, weights.Get(name + ".k.bias", vector));
  KILN_ASSIGN_OR_RETURN(block.v_weight, weights.Get(name + ".v.weight", matrix));
  KILN_ASSIGN_OR_RETURN(block.v_bias, weights.Get(name + ".v.bias", vector));
  KILN_ASSIGN_OR_RETURN(block.proj_weight, weights.Get(name + ".proj_out.weight", matrix));
  KILN_ASSIGN_OR_RETURN(block.proj_bias, weights.Get(name + ".proj_out.bias", vector));
  return block;
}

Tensor AttnBlock::Forward(ThreadPool& pool, const Tensor& x) const {
  RequireActivation(x, channels, "AttnBlock input");
  const int64_t batch = x.dim(0);
  const int64_t tokens = x.dim(2) * x.dim(3);  // L = H*W
  const Shape token_major{batch, tokens, channels};

  // n (B, C, L)
  Tensor n = Tensor::Empty(DType::kF32, x.shape());
  norm.Forward(pool, x, n, /*swish=*/false);
  // q, k, v (B, L, C) = (B, heads=1, L, head_dim=C)
  Tensor q = Tensor::Empty(DType::kF32, token_major);
  Tensor k = Tensor::Empty(DType::kF32, token_major);
  Tensor v = Tensor::Empty(DType::kF32, token_major);
  ProjectToTokens(pool, q.f32(), n.f32(), q_weight.f32(), q_bias.f32(), batch, channels, tokens);
  ProjectToTokens(pool, k.f32(), n.f32(), k_weight.f32(), k_bias.f32(), batch, channels, tokens);
  ProjectToTokens(pool, v.f32(), n.f32(), v_weight.f32(), v_bias.f32(), batch, channels, tokens);

  // attn (B, L, 1, C): softmax(q·kᵀ/√C)·v; q is dead afterwards, but the
  // kernel's output must not alias its inputs, so it gets its own buffer.
  Tensor attn = Tensor::Empty(DType::kF32, token_major);
  cpu::Attention(pool, attn.f32(), q.f32(), k.f32(), v.f32(), batch, /*heads=*/1, tokens, tokens,
                 channels);

  // out (B, C, L) = x + proj_out(attn)ᵀ; n is dead and takes proj_out's result.
  float* proj = n.f32();
  for (int64_t b = 0; b < batch; ++b) {
    float* proj_b = proj + b * channels * tokens;
    BroadcastColumns(proj_b, proj_bias.f32(), channels, tokens);
    // proj_b (C_out, L) += W (C_out, C_in) · attn_bᵀ (C_in, L)
    cpu::Gemm(pool, /*transpose_a=*/false, /*transpose_b=*/true, channels, tokens, channels, 1.0f,
              proj_weight.f32(), channels, attn.f32() + b * tokens * channels, channels, 1.0f,
              proj_b, tokens);
  }
  cpu::Add(pool, n.f32(), x.f32(), n.f32(), n.numel());
  return n;
}

}  // namespace kiln
