// AutoencoderConfig: the shape of a FLUX.1 AutoencoderKL, field for field the
// official flux.modules.autoencoder.AutoEncoderParams. The defaults are
// FLUX.1's own `ae` (flux.util configs["flux-dev"].ae_params).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/status.h"

namespace kiln {

struct AutoencoderConfig {
  int64_t resolution = 256;  // nominal training resolution; any H, W work at run time
  int64_t in_channels = 3;   // image channels the encoder takes
  int64_t ch = 128;          // base channel count; level i has ch * ch_mult[i]
  int64_t out_ch = 3;        // image channels the decoder produces
  std::vector<int64_t> ch_mult{1, 2, 4, 4};  // one entry per resolution level
  int64_t num_res_blocks = 2;  // ResnetBlocks per encoder level (decoder: one more)
  int64_t z_channels = 16;     // latent channels
  float scale_factor = 0.3611f;
  float shift_factor = 0.1159f;

  // Parses a JSON object with the AutoEncoderParams field names. Missing
  // fields keep their defaults; a field of the wrong type, an unknown field
  // (the official dataclass refuses those too) or an invalid value is
  // InvalidArgument naming the field.
  static StatusOr<AutoencoderConfig> FromJson(const std::string& json);

  // Checks what the official modules would refuse at construction: positive
  // sizes, a non-empty ch_mult, channel counts divisible by the 32 GroupNorm
  // groups, and a non-zero scale_factor (decode divides by it).
  Status Validate() const;

  // Spatial ratio image : latent, 2^(len(ch_mult) - 1).
  int64_t downsample_factor() const;
};

}  // namespace kiln
