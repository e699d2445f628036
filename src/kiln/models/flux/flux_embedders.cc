#include "kiln/models/flux/flux_embedders.h"

#include <cmath>

#include "kiln/kernels/cpu/elementwise.h"

namespace kiln {

void TimestepEmbedding(float* out, const float* t, int64_t batch, int64_t dim) {
  const int64_t half = dim / 2;
  // Same float32 operation order as torch: (-ln(max_period) · arange) / half, exp.
  const float neg_log_period = static_cast<float>(-std::log(10000.0));
  for (int64_t b = 0; b < batch; ++b) {
    const float scaled_t = 1000.0f * t[b];
    for (int64_t i = 0; i < half; ++i) {
      const float freq = std::exp(neg_log_period * static_cast<float>(i) / static_cast<float>(half));
      const float arg = scaled_t * freq;
      out[b * dim + i] = std::cos(arg);
      out[b * dim + half + i] = std::sin(arg);
    }
  }
}

StatusOr<MlpEmbedder> MlpEmbedder::Load(const WeightLoader& weights, const std::string& name,
                                        int64_t in_dim, int64_t hidden) {
  MlpEmbedder e;
  KILN_ASSIGN_OR_RETURN(e.in_layer, LinearLayer::Load(weights, name + ".in_layer", in_dim, hidden, true));
  KILN_ASSIGN_OR_RETURN(e.out_layer, LinearLayer::Load(weights, name + ".out_layer", hidden, hidden, true));
  return e;
}

void MlpEmbedder::Forward(ThreadPool& pool, float* out, const float* in, float* scratch, int64_t rows) const {
  in_layer.Forward(pool, scratch, in, rows);
  cpu::Silu(pool, scratch, scratch, rows * in_layer.out_features);
  out_layer.Forward(pool, out, scratch, rows);
}

}  // namespace kiln
