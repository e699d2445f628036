// Downsample of the FLUX.1 AutoencoderKL encoder: zero-pad right and bottom by
// one (F.pad(x, (0, 1, 0, 1))), then a 3x3 stride-2 conv without padding, so
// H -> floor((H - 2) / 2) + 1 (= H/2 for even H).
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/conv2d_layer.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct Downsample {
  Conv2dLayer conv;  // 3x3 stride 2, channels -> channels, pads (top 0, bottom 1, left 0, right 1)

  // name: the module path, e.g. "encoder.down.0.downsample".
  static StatusOr<Downsample> Load(const WeightLoader& weights, const std::string& name,
                                   int64_t channels);

  //   returns (B, C, H', W'); x (B, C, H, W), H, W >= 2
  Tensor Forward(ThreadPool& pool, const Tensor& x) const { return conv.Forward(pool, x); }
};

}  // namespace kiln
