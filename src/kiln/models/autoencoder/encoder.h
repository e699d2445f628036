// Encoder of the FLUX.1 AutoencoderKL (flux.modules.autoencoder.Encoder):
//   conv_in -> per level i: num_res_blocks ResnetBlocks (to ch*ch_mult[i]),
//   then a Downsample except at the last level -> mid (block_1, attn_1,
//   block_2) -> swish(norm_out) -> conv_out to 2*z_channels (mean, logvar).
#pragma once

#include <optional>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/activation.h"
#include "kiln/models/autoencoder/attn_block.h"
#include "kiln/models/autoencoder/autoencoder_config.h"
#include "kiln/models/autoencoder/conv2d_layer.h"
#include "kiln/models/autoencoder/downsample.h"
#include "kiln/models/autoencoder/group_norm_layer.h"
#include "kiln/models/autoencoder/resnet_block.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct EncoderLevel {
  std::vector<ResnetBlock> block;         // "encoder.down.<i>.block.<j>"
  std::optional<Downsample> downsample;   // "encoder.down.<i>.downsample", all but the last level
};

struct Encoder {
  Conv2dLayer conv_in;               // in_channels -> ch
  std::vector<EncoderLevel> down;    // len(ch_mult) levels, highest resolution first
  ResnetBlock mid_block_1;           // "encoder.mid.block_1"
  AttnBlock mid_attn_1;              // "encoder.mid.attn_1"
  ResnetBlock mid_block_2;           // "encoder.mid.block_2"
  GroupNormLayer norm_out;
  Conv2dLayer conv_out;              // -> 2 * z_channels

  // Loads every "encoder.*" weight. REQUIRES: config.Validate() is ok.
  static StatusOr<Encoder> Load(const WeightLoader& weights, const AutoencoderConfig& config);

  //   returns moments (B, 2*z_channels, H/f, W/f); x (B, in_channels, H, W)
  // hook (may be empty) sees conv_in, each block, attn, downsample and conv_out.
  Tensor Forward(ThreadPool& pool, const Tensor& x, const ActivationHook& hook) const;
};

}  // namespace kiln
