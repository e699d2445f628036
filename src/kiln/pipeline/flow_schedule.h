// The FLUX.1 rectified-flow time schedule (flux.sampling.get_schedule).
#pragma once

#include <cstdint>
#include <vector>

namespace kiln {

struct FlowScheduleOptions {
  bool shift = true;        // resolution-dependent shift ([dev]: true; [schnell]: false)
  double base_shift = 0.5;  // mu at 256 image tokens
  double max_shift = 1.15;  // mu at 4096 image tokens
};

// num_steps + 1 times from 1 down to 0, in float32 exactly as the official
// code computes them: linspace(1, 0, n+1), then t ↦ e^μ / (e^μ + (1/t − 1))
// with μ linear in image_tokens through (256, base_shift) and (4096, max_shift).
// REQUIRES: num_steps >= 1
std::vector<float> FlowSchedule(int num_steps, int64_t image_tokens, const FlowScheduleOptions& options = {});

}  // namespace kiln
