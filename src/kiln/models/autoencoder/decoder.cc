#include "kiln/models/autoencoder/decoder.h"

#include <string>

namespace kiln {

StatusOr<Decoder> Decoder::Load(const WeightLoader& weights, const AutoencoderConfig& config) {
  const int64_t ch = config.ch;
  const int64_t levels = static_cast<int64_t>(config.ch_mult.size());
  Decoder decoder;
  int64_t block_in = ch * config.ch_mult[levels - 1];
  KILN_ASSIGN_OR_RETURN(decoder.conv_in, Conv2dLayer::Load(weights, "decoder.conv_in",
                                                           config.z_channels, block_in, 3));
  KILN_ASSIGN_OR_RETURN(decoder.mid_block_1,
                        ResnetBlock::Load(weights, "decoder.mid.block_1", block_in, block_in));
  KILN_ASSIGN_OR_RETURN(decoder.mid_attn_1, AttnBlock::Load(weights, "decoder.mid.attn_1", block_in));
  KILN_ASSIGN_OR_RETURN(decoder.mid_block_2,
                        ResnetBlock::Load(weights, "decoder.mid.block_2", block_in, block_in));

  // Built from the lowest resolution up, as the official constructor does
  // (it inserts each level at the front of its ModuleList).
  decoder.up.resize(static_cast<size_t>(levels));
  for (int64_t i = levels - 1; i >= 0; --i) {
    const std::string level = "decoder.up." + std::to_string(i);
    const int64_t block_out = ch * config.ch_mult[i];
    DecoderLevel& up = decoder.up[static_cast<size_t>(i)];
    for (int64_t j = 0; j < config.num_res_blocks + 1; ++j) {
      KILN_ASSIGN_OR_RETURN(ResnetBlock block,
                            ResnetBlock::Load(weights, level + ".block." + std::to_string(j),
                                              block_in, block_out));
      up.block.push_back(std::move(block));
      block_in = block_out;
    }
    if (i != 0) {
      KILN_ASSIGN_OR_RETURN(up.upsample, Upsample::Load(weights, level + ".upsample", block_in));
    }
  }

  KILN_ASSIGN_OR_RETURN(decoder.norm_out, GroupNormLayer::Load(weights, "decoder.norm_out", block_in));
  KILN_ASSIGN_OR_RETURN(decoder.conv_out, Conv2dLayer::Load(weights, "decoder.conv_out", block_in,
                                                            config.out_ch, 3));
  return decoder;
}

Tensor Decoder::Forward(ThreadPool& pool, const Tensor& z, const ActivationHook& hook) const {
  auto emit = [&hook](const std::string& path, const Tensor& t) {
    if (hook) hook(path, t);
  };
  // h (B, C_level, H_level, W_level) walks up the levels; each module returns
  // a fresh buffer, so the previous one is freed as h moves on.
  Tensor h = conv_in.Forward(pool, z);
  emit("decoder.conv_in", h);
  h = mid_block_1.Forward(pool, h);
  emit("decoder.mid.block_1", h);
  h = mid_attn_1.Forward(pool, h);
  emit("decoder.mid.attn_1", h);
  h = mid_block_2.Forward(pool, h);
  emit("decoder.mid.block_2", h);
  for (size_t i = up.size(); i-- > 0;) {
    const std::string level = "decoder.up." + std::to_string(i);
    for (size_t j = 0; j < up[i].block.size(); ++j) {
      h = up[i].block[j].Forward(pool, h);
      emit(level + ".block." + std::to_string(j), h);
    }
    if (up[i].upsample) {
      h = up[i].upsample->Forward(pool, h);
      emit(level + ".upsample", h);
    }
  }
  // h is the last block's own buffer (there is always at least one block
  // per level): normalise it in place.
  norm_out.Forward(pool, h, h, /*swish=*/true);
  Tensor out = conv_out.Forward(pool, h);
  emit("decoder.conv_out", out);
  return out;
}

}  // namespace kiln
