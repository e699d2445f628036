// TensorDiff: how far a computed tensor is from a reference, in the terms the
// golden READMEs state their tolerances:
//   max_rel = max|out − ref| / max|ref|,  rel_l2 = ‖out − ref‖₂ / ‖ref‖₂
// The one implementation behind `kiln check-golden` and the parity tests.
#pragma once

#include <string>

#include "kiln/tensor/tensor.h"

namespace kiln {

struct TensorDiff {
  double max_abs_err = 0;   // max|out − ref|
  double max_abs_ref = 0;   // max|ref|
  double max_rel = 0;       // max_abs_err / max_abs_ref
  double rel_l2 = 0;        // ‖out − ref‖ / ‖ref‖
  bool non_finite = false;  // out has a NaN or Inf where ref does not

  // True when finite and within both bounds (a NaN error is never within).
  bool Within(double max_rel_bound, double rel_l2_bound) const {
    return !non_finite && max_rel <= max_rel_bound && rel_l2 <= rel_l2_bound;
  }
  std::string ToString() const;
};

// Any float dtype on either side (widened to f32).
// REQUIRES: out.numel() == ref.numel()
TensorDiff CompareTensors(const Tensor& out, const Tensor& ref);

}  // namespace kiln
