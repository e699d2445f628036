#include "kiln/app/golden_report.h"

#include <cstdio>

#include "kiln/tensor/tensor_diff.h"

namespace kiln {

void GoldenReport::Compare(const std::string& name, const float* out, int64_t count, const Tensor& ref,
                           bool gating) {
  if (ref.numel() != count) {
    Fail(name, "has " + std::to_string(count) + " elements, the reference " + ShapeToString(ref.shape()));
    return;
  }
  const TensorDiff diff = CompareTensors(Tensor::View(DType::kF32, ref.shape(), out, nullptr), ref);
  const bool absolute = bounds_.max_abs > 0;
  const bool ok = absolute ? !diff.non_finite && diff.max_abs_err <= bounds_.max_abs
                           : diff.Within(bounds_.max_rel, bounds_.rel_l2);
  const char* verdict = !gating ? "(info)" : ok ? "ok" : "FAIL";
  if (absolute) {
    std::printf("%-44s max_abs %.3e  max_rel %.3e  %s\n", name.c_str(), diff.max_abs_err, diff.max_rel, verdict);
  } else {
    std::printf("%-44s max_rel %.3e  rel_l2 %.3e  %s\n", name.c_str(), diff.max_rel, diff.rel_l2, verdict);
  }
  if (gating) {
    ++compared_;
    if (!ok) ++failures_;
  }
}

void GoldenReport::Fail(const std::string& name, const std::string& why) {
  std::printf("%-44s FAIL: %s\n", name.c_str(), why.c_str());
  ++failures_;
}

}  // namespace kiln
