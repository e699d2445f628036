// Upsample of the FLUX.1 AutoencoderKL decoder: nearest-neighbour 2x
// (F.interpolate(scale_factor=2.0, mode="nearest")), then a 3x3 conv.
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/conv2d_layer.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct Upsample {
  Conv2dLayer conv;  // 3x3 padding 1, channels -> channels

  // name: the module path, e.g. "decoder.up.1.upsample".
  static StatusOr<Upsample> Load(const WeightLoader& weights, const std::string& name,
                                 int64_t channels);

  //   returns (B, C, 2H, 2W); x (B, C, H, W)
  Tensor Forward(ThreadPool& pool, const Tensor& x) const;
};

}  // namespace kiln
