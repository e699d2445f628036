// Comparing a computed tensor with a reference (golden) one, the way the
// golden READMEs state their tolerances:
//   max_rel = max|out - ref| / max|ref|,  rel_l2 = ||out - ref||₂ / ||ref||₂
// Header-only: tests/ has no library of its own.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "kiln/tensor/tensor.h"

namespace kiln::test {

struct TensorDiff {
  double max_abs_err = 0;  // max|out - ref|
  double max_abs_ref = 0;  // max|ref|
  double max_rel = 0;      // max_abs_err / max_abs_ref
  double rel_l2 = 0;       // ||out - ref|| / ||ref||
  bool non_finite = false; // out has a NaN or Inf where ref does not

  std::string ToString() const {
    char buffer[200];
    std::snprintf(buffer, sizeof(buffer),
                  "max_rel %.3e (max abs err %.3e, max |ref| %.3e), rel_l2 %.3e%s", max_rel,
                  max_abs_err, max_abs_ref, rel_l2, non_finite ? ", NON-FINITE values" : "");
    return buffer;
  }
};

// REQUIRES: same numel; either dtype widenable to f32/f64 (converted to f32).
inline TensorDiff CompareTensors(const Tensor& out, const Tensor& ref) {
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

// EXPECT_TRUE(TensorsClose(out, ref, 1e-4, 5e-5)) << "name";
// Fails on a shape mismatch, a non-finite value, or either bound exceeded;
// the message always carries the numbers.
inline ::testing::AssertionResult TensorsClose(const Tensor& out, const Tensor& ref,
                                               double max_rel, double rel_l2) {
  if (out.shape() != ref.shape()) {
    return ::testing::AssertionFailure() << "shape " << ShapeToString(out.shape())
                                         << " != reference " << ShapeToString(ref.shape());
  }
  const TensorDiff diff = CompareTensors(out, ref);
  // NaN in the error compares false against the bounds: fail explicitly.
  if (diff.non_finite || !(diff.max_rel <= max_rel) || !(diff.rel_l2 <= rel_l2)) {
    return ::testing::AssertionFailure() << diff.ToString() << " exceeds bounds max_rel "
                                         << max_rel << ", rel_l2 " << rel_l2;
  }
  return ::testing::AssertionSuccess() << diff.ToString();
}

}  // namespace kiln::test
