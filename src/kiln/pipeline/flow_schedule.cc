#include "kiln/pipeline/flow_schedule.h"

#include <cmath>

namespace kiln {
namespace {

// torch.linspace(1, 0, steps) for float32: fills from both ends with a float
// step so that the last value is exactly the end point.
std::vector<float> Linspace(float start, float end, int64_t steps) {
  std::vector<float> out(static_cast<size_t>(steps));
  if (steps == 1) {
    out[0] = start;
    return out;
  }
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  for (int64_t i = 0; i < steps; ++i) {
    out[i] = i < halfway ? start + step * static_cast<float>(i)
                         : end - step * static_cast<float>(steps - i - 1);
  }
  return out;
}

}  // namespace

std::vector<float> FlowSchedule(int num_steps, int64_t image_tokens, const FlowScheduleOptions& options) {
  std::vector<float> t = Linspace(1.0f, 0.0f, num_steps + 1);
  if (!options.shift) return t;
  // get_lin_function(x1=256, y1=base_shift, x2=4096, y2=max_shift), in Python double.
  const double m = (options.max_shift - options.base_shift) / (4096.0 - 256.0);
  const double b = options.base_shift - m * 256.0;
  const double mu = m * static_cast<double>(image_tokens) + b;
  const float e_mu = static_cast<float>(std::exp(mu));
  for (float& x : t) {
    // (1/t − 1)^1.0 in float32; t = 0 gives inf and so 0, as in torch.
    x = e_mu / (e_mu + (1.0f / x - 1.0f));
  }
  return t;
}

}  // namespace kiln
