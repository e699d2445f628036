// Decoder of the FLUX.1 AutoencoderKL (flux.modules.autoencoder.Decoder):
//   conv_in (z_channels -> ch*ch_mult[-1]) -> mid (block_1, attn_1, block_2)
//   -> levels from the lowest resolution up: num_res_blocks + 1 ResnetBlocks
//   (to ch*ch_mult[i]), then an Upsample except at level 0 -> swish(norm_out)
//   -> conv_out to out_ch.
// up[i] is level i as in the official ModuleList ("decoder.up.0" is the
// highest resolution and runs last).
#pragma once

#include <optional>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/autoencoder/activation.h"
#include "kiln/models/autoencoder/attn_block.h"
#include "kiln/models/autoencoder/autoencoder_config.h"
#include "kiln/models/autoencoder/conv2d_layer.h"
#include "kiln/models/autoencoder/group_norm_layer.h"
#include "kiln/models/autoencoder/resnet_block.h"
#include "kiln/models/autoencoder/upsample.h"
#include "kiln/models/weight_loader.h"
#include "kiln/tensor/tensor.h"

namespace kiln {

struct DecoderLevel {
  std::vector<ResnetBlock> block;     // "decoder.up.<i>.block.<j>", num_res_blocks + 1 of them
  std::optional<Upsample> upsample;   // "decoder.up.<i>.upsample", all but level 0
};

struct Decoder {
  Conv2dLayer conv_in;              // z_channels -> ch * ch_mult[-1]
  ResnetBlock mid_block_1;          // "decoder.mid.block_1"
  AttnBlock mid_attn_1;             // "decoder.mid.attn_1"
  ResnetBlock mid_block_2;          // "decoder.mid.block_2"
  std::vector<DecoderLevel> up;     // indexed by level; executed from the back
  GroupNormLayer norm_out;
  Conv2dLayer conv_out;             // -> out_ch

  // Loads every "decoder.*" weight. REQUIRES: config.Validate() is ok.
  static StatusOr<Decoder> Load(const WeightLoader& weights, const AutoencoderConfig& config);

  //   returns (B, out_ch, h*f, w*f); z (B, z_channels, h, w), already
  //   unscaled (z / scale_factor + shift_factor)
  // hook (may be empty) sees conv_in, each block, attn, upsample and conv_out.
  Tensor Forward(ThreadPool& pool, const Tensor& z, const ActivationHook& hook) const;
};

}  // namespace kiln
