#include "kiln/models/autoencoder/encoder.h"

#include <string>

namespace kiln {

StatusOr<Encoder> Encoder::Load(const WeightLoader& weights, const AutoencoderConfig& config) {
  const int64_t ch = config.ch;
  const int64_t levels = static_cast<int64_t>(config.ch_mult.size());
  Encoder encoder;
  KILN_ASSIGN_OR_RETURN(encoder.conv_in,
                        Conv2dLayer::Load(weights, "encoder.conv_in", config.in_channels, ch, 3));

  // Channel bookkeeping exactly as the official constructor: each level
  // starts from ch * in_ch_mult[i], in_ch_mult = (1,) + ch_mult.
  int64_t block_in = ch;
  for (int64_t i = 0; i < levels; ++i) {
    const std::string level = "encoder.down." + std::to_string(i);
    block_in = ch * (i == 0 ? 1 : config.ch_mult[i - 1]);
    const int64_t block_out = ch * config.ch_mult[i];
    EncoderLevel down;
    for (int64_t j = 0; j < config.num_res_blocks; ++j) {
      KILN_ASSIGN_OR_RETURN(ResnetBlock block,
                            ResnetBlock::Load(weights, level + ".block." + std::to_string(j),
                                              block_in, block_out));
      down.block.push_back(std::move(block));
      block_in = block_out;
    }
    if (i != levels - 1) {
      KILN_ASSIGN_OR_RETURN(down.downsample,
                            Downsample::Load(weights, level + ".downsample", block_in));
    }
    encoder.down.push_back(std::move(down));
  }

  KILN_ASSIGN_OR_RETURN(encoder.mid_block_1,
                        ResnetBlock::Load(weights, "encoder.mid.block_1", block_in, block_in));
  KILN_ASSIGN_OR_RETURN(encoder.mid_attn_1, AttnBlock::Load(weights, "encoder.mid.attn_1", block_in));
  KILN_ASSIGN_OR_RETURN(encoder.mid_block_2,
                        ResnetBlock::Load(weights, "encoder.mid.block_2", block_in, block_in));
  KILN_ASSIGN_OR_RETURN(encoder.norm_out, GroupNormLayer::Load(weights, "encoder.norm_out", block_in));
  KILN_ASSIGN_OR_RETURN(encoder.conv_out, Conv2dLayer::Load(weights, "encoder.conv_out", block_in,
                                                            2 * config.z_channels, 3));
  return encoder;
}

Tensor Encoder::Forward(ThreadPool& pool, const Tensor& x, const ActivationHook& hook) const {
  auto emit = [&hook](const std::string& path, const Tensor& t) {
    if (hook) hook(path, t);
  };
  // h (B, C_level, H_level, W_level) walks down the levels; each module
  // returns a fresh buffer, so the previous one is freed as h moves on.
  Tensor h = conv_in.Forward(pool, x);
  emit("encoder.conv_in", h);
  for (size_t i = 0; i < down.size(); ++i) {
    const std::string level = "encoder.down." + std::to_string(i);
    for (size_t j = 0; j < down[i].block.size(); ++j) {
      h = down[i].block[j].Forward(pool, h);
      emit(level + ".block." + std::to_string(j), h);
    }
    if (down[i].downsample) {
      h = down[i].downsample->Forward(pool, h);
      emit(level + ".downsample", h);
    }
  }
  h = mid_block_1.Forward(pool, h);
  emit("encoder.mid.block_1", h);
  h = mid_attn_1.Forward(pool, h);
  emit("encoder.mid.attn_1", h);
  h = mid_block_2.Forward(pool, h);
  emit("encoder.mid.block_2", h);
  // h is mid_block_2's own buffer: normalise it in place.
  norm_out.Forward(pool, h, h, /*swish=*/true);
  Tensor moments = conv_out.Forward(pool, h);
  emit("encoder.conv_out", moments);
  return moments;
}

}  // namespace kiln
