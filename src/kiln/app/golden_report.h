// GoldenReport: compares outputs with reference tensors and prints, per
// tensor, max|out−ref|/max|ref| and ‖out−ref‖/‖ref‖ against the parity
// bounds of ../shared/golden (1e-4 and 5e-5 for f32); or, for goldens that
// state an absolute tolerance (nsfw), max|out−ref| alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/tensor/tensor.h"

namespace kiln {

struct GoldenBounds {
  double max_rel = 1e-4;
  double rel_l2 = 5e-5;
  double max_abs = 0;  // > 0: judge by max|out−ref| <= max_abs instead of the two above
};

class GoldenReport {
 public:
  explicit GoldenReport(GoldenBounds bounds = {}) : bounds_(bounds) {}

  // Compares count floats of out with ref (any float dtype, same element count)
  // and prints one line. gating = false prints without affecting passed().
  void Compare(const std::string& name, const float* out, int64_t count, const Tensor& ref, bool gating = true);
  // Records a failure that is not a numeric comparison (a missing tensor, a shape mismatch).
  void Fail(const std::string& name, const std::string& why);

  bool passed() const { return failures_ == 0; }
  int compared() const { return compared_; }

 private:
  GoldenBounds bounds_;
  int compared_ = 0;
  int failures_ = 0;
};

}  // namespace kiln
