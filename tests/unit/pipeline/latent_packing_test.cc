#include "kiln/pipeline/latent_packing.h"

#include <gtest/gtest.h>

#include <vector>

namespace kiln {
namespace {

TEST(LatentPackingTest, PacksTwoByTwoPatchesChannelMajor) {
  // One channel, 2x4 latent: tokens are the two 2x2 patches, left then right.
  const std::vector<float> latent = {0, 1, 2, 3,  //
                                     4, 5, 6, 7};
  std::vector<float> packed(8);
  PackLatents(packed.data(), latent.data(), 1, 1, 2, 4);
  EXPECT_EQ(packed, (std::vector<float>{0, 1, 4, 5, 2, 3, 6, 7}));
}

TEST(LatentPackingTest, UnpackInvertsPackForOddShapes) {
  const int64_t b = 2, c = 3, h = 6, w = 10;
  std::vector<float> latent(b * c * h * w), packed(latent.size()), back(latent.size());
  for (size_t i = 0; i < latent.size(); ++i) latent[i] = static_cast<float>(i);
  PackLatents(packed.data(), latent.data(), b, c, h, w);
  UnpackLatents(back.data(), packed.data(), b, c, h, w);
  EXPECT_EQ(back, latent);
  // Packed dims are (c, ph, pw): element (b=1, c=2, y=3, x=5) lands in token (1, 2), dim 2*4 + 1*2 + 1.
  const int64_t token = 1 * (w / 2) + 2, dim = 2 * 4 + 1 * 2 + 1;
  EXPECT_EQ(packed[(1 * (h / 2) * (w / 2) + token) * c * 4 + dim], latent[((1 * c + 2) * h + 3) * w + 5]);
}

TEST(LatentPackingTest, ImageIdsAreRowAndColumn) {
  std::vector<float> ids(2 * 6 * 3);
  MakeImageIds(ids.data(), 2, 4, 6);  // 2x3 tokens
  // batch 1, token 4 = row 1, col 1
  EXPECT_EQ(ids[(6 + 4) * 3 + 0], 0.0f);
  EXPECT_EQ(ids[(6 + 4) * 3 + 1], 1.0f);
  EXPECT_EQ(ids[(6 + 4) * 3 + 2], 1.0f);
  EXPECT_EQ(ids[5 * 3 + 1], 1.0f);
  EXPECT_EQ(ids[5 * 3 + 2], 2.0f);
}

}  // namespace
}  // namespace kiln
