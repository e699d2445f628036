// FLUX 3-axis rotary position embedding (flux.math.rope / apply_rope).
#pragma once

#include <cstdint>

#include "kiln/base/thread_pool.h"

namespace kiln::cpu {

// The rotation table of flux.modules.layers.EmbedND, without its heads dim:
//   pe  (batch, tokens, head_dim/2, 2, 2): [[cos, -sin], [sin, cos]] per pair
//   ids (batch, tokens, num_axes): position of each token along each axis
// Axis i covers axes_dim[i] dims with omega_j = 1/theta^(2j/axes_dim[i]);
// axes are concatenated in order, head_dim = Σ axes_dim.
// REQUIRES: every axes_dim[i] is even
void RopeTable(float* pe, const float* ids, int64_t batch, int64_t tokens, const int64_t* axes_dim,
               int num_axes, float theta);

// Rotates x in place: for each pair (x[2j], x[2j+1]) of a token,
//   x'[2j]   = pe[j][0][0]·x[2j] + pe[j][0][1]·x[2j+1]
//   x'[2j+1] = pe[j][1][0]·x[2j] + pe[j][1][1]·x[2j+1]
//   x  (batch, heads, tokens, head_dim)
//   pe (batch, tokens, head_dim/2, 2, 2), shared by all heads
void ApplyRope(ThreadPool& pool, float* x, const float* pe, int64_t batch, int64_t heads,
               int64_t tokens, int64_t head_dim);

}  // namespace kiln::cpu
