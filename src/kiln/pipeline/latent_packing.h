// The 2×2 latent packing of FLUX.1 (flux.sampling.prepare / unpack) and the
// position ids that go with it.
#pragma once

#include <cstdint>

namespace kiln {

// "b c (h ph) (w pw) -> b (h w) (c ph pw)", ph = pw = 2.
//   packed (batch, (height/2)·(width/2), channels·4); latent (batch, channels, height, width)
// REQUIRES: height and width even
void PackLatents(float* packed, const float* latent, int64_t batch, int64_t channels, int64_t height,
                 int64_t width);
// The inverse of PackLatents.
void UnpackLatents(float* latent, const float* packed, int64_t batch, int64_t channels, int64_t height,
                   int64_t width);

// img_ids (batch, (height/2)·(width/2), 3) = (0, row, col) per packed token.
void MakeImageIds(float* ids, int64_t batch, int64_t height, int64_t width);

}  // namespace kiln
