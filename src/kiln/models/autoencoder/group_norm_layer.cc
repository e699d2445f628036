#include "kiln/models/autoencoder/group_norm_layer.h"

#include <cstdlib>

#include "kiln/base/logging.h"
#include "kiln/kernels/cpu/elementwise.h"
#include "kiln/kernels/cpu/norm.h"
#include "kiln/models/autoencoder/activation.h"

namespace kiln {

StatusOr<GroupNormLayer> GroupNormLayer::Load(const WeightLoader& weights, const std::string& name,
                                              int64_t channels) {
  if (channels % kGroups != 0) {
    return Status::InvalidArgument(name + ": GroupNorm over " + std::to_string(channels) +
                                   " channels, not divisible by the 32 groups");
  }
  GroupNormLayer layer;
  KILN_ASSIGN_OR_RETURN(layer.gamma, weights.Get(name + ".weight", {channels}));
  KILN_ASSIGN_OR_RETURN(layer.beta, weights.Get(name + ".bias", {channels}));
  layer.channels = channels;
  return layer;
}

void GroupNormLayer::Forward(ThreadPool& pool, const Tensor& x, Tensor& out, bool swish) const {
  RequireActivation(x, channels, "GroupNormLayer input");
  RequireActivation(out, channels, "GroupNormLayer output");
  if (out.shape() != x.shape()) {
    KILN_LOG(kError) << "GroupNormLayer: output " << ShapeToString(out.shape()) << " differs from input "
                     << ShapeToString(x.shape());
    std::abort();
  }
  const int64_t batch = x.dim(0);
  const int64_t spatial = x.dim(2) * x.dim(3);
  cpu::GroupNorm(pool, out.f32(), x.f32(), gamma.f32(), beta.f32(), batch, channels, spatial,
                 kGroups, kEps);
  if (swish) cpu::Silu(pool, out.f32(), out.f32(), out.numel());
}

}  // namespace kiln
