#include "kiln/models/autoencoder/downsample.h"

namespace kiln {

StatusOr<Downsample> Downsample::Load(const WeightLoader& weights, const std::string& name,
                                      int64_t channels) {
  Downsample block;
  KILN_ASSIGN_OR_RETURN(block.conv, Conv2dLayer::Load(weights, name + ".conv", channels, channels, 3));
  // The official module pads asymmetrically in forward() instead of in the
  // conv (which it builds with padding=0); the kernel does the same padding.
  block.conv.stride = 2;
  block.conv.pad_top = 0;
  block.conv.pad_left = 0;
  block.conv.pad_bottom = 1;
  block.conv.pad_right = 1;
  return block;
}

}  // namespace kiln
