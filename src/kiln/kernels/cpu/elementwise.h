// Elementwise and broadcast ops, f32. out may equal in (in place).
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

// x · sigmoid(x)
void Silu(ThreadPool& pool, float* out, const float* in, int64_t n);
// GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
void GeluTanh(ThreadPool& pool, float* out, const float* in, int64_t n);
// GELU, exact: 0.5·x·(1 + erf(x/√2)) (torch's default, HF BERT's "gelu")
void GeluErf(ThreadPool& pool, float* out, const float* in, int64_t n);
// out = a + b
void Add(ThreadPool& pool, float* out, const float* a, const float* b, int64_t n);

// Row-wise softmax over the last dim, in place: x (rows, cols).
void Softmax(ThreadPool& pool, float* x, int64_t rows, int64_t cols);

// adaLN modulation, per batch item b: out[b,t,:] = (1 + scale[b,:]) · in[b,t,:] + shift[b,:]
//   out, in (batch, tokens, dim); shift, scale each (batch, dim) with row stride mod_stride
void Modulate(ThreadPool& pool, float* out, const float* in, const float* shift, const float* scale,
              int64_t mod_stride, int64_t batch, int64_t tokens, int64_t dim);

// Gated residual: x[b,t,:] += gate[b,:] · y[b,t,:]
//   x, y (batch, tokens, dim); gate (batch, dim) with row stride gate_stride
void GatedAdd(ThreadPool& pool, float* x, const float* y, const float* gate, int64_t gate_stride,
              int64_t batch, int64_t tokens, int64_t dim);

// Nearest-neighbour 2× upsampling: out (planes, 2h, 2w) from in (planes, h, w).
void UpsampleNearest2x(ThreadPool& pool, float* out, const float* in, int64_t planes, int64_t height,
                       int64_t width);

}  // namespace kiln::cpu
