#include "kiln/app/golden_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace kiln {

void GoldenReport::Compare(const std::string& name, const float* out, int64_t count, const Tensor& ref,
                           bool gating) {
  if (ref.numel() != count) {
    Fail(name, "has " + std::to_string(count) + " elements, the reference " + ShapeToString(ref.shape()));
    return;
  }
  const Tensor r = ref.dtype() == DType::kF32 ? ref : ref.ToF32();
  double max_err = 0, max_ref = 0, err2 = 0, ref2 = 0;
  bool finite = true;
  for (int64_t i = 0; i < count; ++i) {
    const double o = out[i], e = r.f32()[i];
    if (!std::isfinite(o)) finite = false;
    const double d = std::fabs(o - e);
    max_err = std::max(max_err, d);
    max_ref = std::max(max_ref, std::fabs(e));
    err2 += d * d;
    ref2 += e * e;
  }
  const double max_rel = max_ref > 0 ? max_err / max_ref : max_err;
  const double rel_l2 = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
  const bool ok = finite && max_rel <= bounds_.max_rel && rel_l2 <= bounds_.rel_l2;
  std::printf("%-44s max_rel %.3e  rel_l2 %.3e  %s\n", name.c_str(), max_rel, rel_l2,
              !gating ? "(info)" : ok ? "ok" : "FAIL");
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
