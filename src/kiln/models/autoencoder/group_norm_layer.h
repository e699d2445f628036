// GroupNormLayer: torch.nn.GroupNorm(32, channels, eps=1e-6, affine=True), the
// only normalisation of the AutoencoderKL, optionally followed by swish (the
// official modules always pair norm1/norm2/norm_out with it).
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct GroupNormLayer {
  static constexpr int64_t kGroups = 32;
  static constexpr float kEps = 1e-6f;

  Tensor gamma;  // (channels), "<name>.weight"
  Tensor beta;   // (channels), "<name>.bias"
  int64_t channels = 0;

  static StatusOr<GroupNormLayer> Load(const WeightLoader& weights, const std::string& name,
                                       int64_t channels);

  //   out, x (B, channels, H, W); out may be x (in place).
  // swish: then out = out * sigmoid(out).
  void Forward(ThreadPool& pool, const Tensor& x, Tensor& out, bool swish) const;
};

}  // namespace kiln
