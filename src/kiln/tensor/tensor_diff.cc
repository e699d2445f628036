#include "kiln/tensor/tensor_diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kiln {

std::string TensorDiff::ToString() const {
  char buffer[200];
  std::snprintf(buffer, sizeof(buffer), "max_rel %.3e (max abs err %.3e, max |ref| %.3e), rel_l2 %.3e%s", max_rel,
                max_abs_err, max_abs_ref, rel_l2, non_finite ? ", NON-FINITE values" : "");
  return buffer;
}

TensorDiff CompareTensors(const Tensor& out, const Tensor& ref) {
  const Tensor a = out.dtype() == DType::kF32 ? out : out.ToF32();
  const Tensor b = ref.dtype() == DType::kF32 ? ref : ref.ToF32();
  TensorDiff diff;
  double err_sq = 0, ref_sq = 0;
  for (int64_t i = 0; i < b.numel(); ++i) {
    const double x = a.f32()[i], y = b.f32()[i];
    if (std::isfinite(y) && !std::isfinite(x)) diff.non_finite = true;
    const double err = std::fabs(x - y);
    diff.max_abs_err = std::max(diff.max_abs_err, err);
    diff.max_abs_ref = std::max(diff.max_abs_ref, std::fabs(y));
    err_sq += err * err;
    ref_sq += y * y;
  }
  diff.max_rel = diff.max_abs_ref > 0 ? diff.max_abs_err / diff.max_abs_ref : diff.max_abs_err;
  diff.rel_l2 = ref_sq > 0 ? std::sqrt(err_sq / ref_sq) : std::sqrt(err_sq);
  return diff;
}

}  // namespace kiln
