#include "kiln/models/autoencoder/upsample.h"

#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/models/autoencoder/activation.h"

namespace kiln {

StatusOr<Upsample> Upsample::Load(const WeightLoader& weights, const std::string& name,
                                  int64_t channels) {
  Upsample block;
  KILN_ASSIGN_OR_RETURN(block.conv, Conv2dLayer::Load(weights, name + ".conv", channels, channels, 3));
  return block;
}

Tensor Upsample::Forward(ThreadPool& pool, const Tensor& x) const {
  RequireActivation(x, conv.in_channels, "Upsample input");
  const int64_t batch = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  // up (B, C, 2H, 2W)
  Tensor up = NewActivation(batch, channels, 2 * height, 2 * width);
  cpu::UpsampleNearest2x(pool, up.f32(), x.f32(), batch * channels, height, width);
  return conv.Forward(pool, up);
}

}  // namespace kiln
