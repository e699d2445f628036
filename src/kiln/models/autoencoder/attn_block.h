// AttnBlock of the FLUX.1 AutoencoderKL (flux.modules.autoencoder.AttnBlock):
// single-head self-attention over the H*W positions with the channels as the
// head dim (scale 1/sqrt(C)), q/k/v/proj_out being 1x1 convs:
//   return x + proj_out(attention(q(n), k(n), v(n))), n = norm(x)
#pragma once

#include <cstdint>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/group_norm_layer.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct AttnBlock {
  GroupNormLayer norm;  // (channels), no swish here
  // The 1x1 conv weights (C, C, 1, 1) read as (C_out, C_in) matrices.
  Tensor q_weight, k_weight, v_weight, proj_weight;  // (channels, channels, 1, 1)
  Tensor q_bias, k_bias, v_bias, proj_bias;          // (channels)
  int64_t channels = 0;

  // name: the module path, e.g. "encoder.mid.attn_1".
  static StatusOr<AttnBlock> Load(const WeightLoader& weights, const std::string& name,
                                  int64_t channels);

  //   returns (B, C, H, W); x (B, C, H, W)
  Tensor Forward(ThreadPool& pool, const Tensor& x) const;
};

}  // namespace kiln
