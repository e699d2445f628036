// The conditioning embedders of FLUX.1: the sinusoidal timestep embedding
// and MLPEmbedder (time_in, guidance_in, vector_in).
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/linear_layer.h"

namespace kiln {

// flux.modules.layers.timestep_embedding(t, dim) in float32, as the official
// code computes it: t·1000, freqs = exp(-ln(10000)·i/half), [cos, sin].
//   out (batch, dim); t (batch)
// REQUIRES: dim even
void TimestepEmbedding(float* out, const float* t, int64_t batch, int64_t dim);

// out_layer(silu(in_layer(x))).
struct MlpEmbedder {
  LinearLayer in_layer;
  LinearLayer out_layer;

  static StatusOr<MlpEmbedder> Load(const WeightLoader& weights, const std::string& name,
                                    int64_t in_dim, int64_t hidden);
  //   out (rows, hidden); in (rows, in_dim); scratch (rows, hidden)
  void Forward(ThreadPool& pool, float* out, const float* in, float* scratch, int64_t rows) const;
};

}  // namespace kiln
