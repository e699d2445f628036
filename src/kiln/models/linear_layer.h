// LinearLayer: the weights of one torch.nn.Linear and its forward.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct LinearLayer {
  Tensor weight;  // (out_features, in_features)
  Tensor bias;    // (out_features), empty when the layer has none
  int64_t in_features = 0;
  int64_t out_features = 0;

  // Loads "<name>.weight" and, when has_bias, "<name>.bias".
  static StatusOr<LinearLayer> Load(const WeightLoader& weights, const std::string& name,
                                    int64_t in_features, int64_t out_features, bool has_bias);

  //   out (rows, out_features); in (rows, in_features)
  void Forward(ThreadPool& pool, float* out, const float* in, int64_t rows) const;
};

}  // namespace kiln
