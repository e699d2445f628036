// ResnetBlock of the FLUX.1 AutoencoderKL (flux.modules.autoencoder.ResnetBlock):
//   h = conv1(swish(norm1(x))); h = conv2(swish(norm2(h)))
//   return shortcut(x) + h, shortcut = nin_shortcut (1x1 conv) when the
//   channel count changes, identity otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/conv2d_layer.h"
#include "kiln/models/autoencoder/group_norm_layer.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct ResnetBlock {
  GroupNormLayer norm1;  // (in_channels)
  Conv2dLayer conv1;     // 3x3, in_channels -> out_channels
  GroupNormLayer norm2;  // (out_channels)
  Conv2dLayer conv2;     // 3x3, out_channels -> out_channels
  std::optional<Conv2dLayer> nin_shortcut;  // 1x1, only when in_channels != out_channels

  // name: the module path, e.g. "decoder.up.0.block.1".
  static StatusOr<ResnetBlock> Load(const WeightLoader& weights, const std::string& name,
                                    int64_t in_channels, int64_t out_channels);

  int64_t in_channels() const { return norm1.channels; }
  int64_t out_channels() const { return conv2.out_channels; }

  //   returns (B, out_channels, H, W); x (B, in_channels, H, W)
  Tensor Forward(ThreadPool& pool, const Tensor& x) const;
};

}  // namespace kiln
