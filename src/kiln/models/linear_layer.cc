#include "kiln/models/linear_layer.h"

#include "kiln/kernels/cpu/matmul.h"

namespace kiln {

StatusOr<LinearLayer> LinearLayer::Load(const WeightLoader& weights, const std::string& name,
                                        int64_t in_features, int64_t out_features, bool has_bias) {
  LinearLayer layer;
  layer.in_features = in_features;
  layer.out_features = out_features;
  KILN_ASSIGN_OR_RETURN(layer.weight, weights.Get(name + ".weight", {out_features, in_features}));
  if (has_bias) {
    KILN_ASSIGN_OR_RETURN(layer.bias, weights.Get(name + ".bias", {out_features}));
  }
  return layer;
}

void LinearLayer::Forward(ThreadPool& pool, float* out, const float* in, int64_t rows) const {
  cpu::Linear(pool, out, in, weight.f32(), bias.empty() ? nullptr : bias.f32(), rows, in_features,
              out_features);
}

}  // namespace kiln
