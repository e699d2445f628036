#include "kiln/models/autoencoder/activation.h"

#include <cstdlib>

#include "kiln/base/logging.h"

namespace kiln {

void RequireActivation(const Tensor& x, int64_t channels, const char* where) {
  if (x.rank() == 4 && x.dtype() == DType::kF32 && x.dim(1) == channels) return;
  KILN_LOG(kError) << where << ": expected an f32 (B, " << channels << ", H, W) tensor, got "
                   << DTypeName(x.dtype()) << " " << ShapeToString(x.shape());
  std::abort();
}

}  // namespace kiln
