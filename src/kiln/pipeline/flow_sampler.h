// FlowSampler: the Euler sampler of FLUX.1 rectified flow
// (flux.sampling.denoise): x ← x + (t_next − t_now)·v(x, t_now), optionally
// with classifier-free guidance: v = v_u + scale·(v_c − v_u), v_u predicted
// from the empty prompt (diffusers' FluxPipeline calls it true_cfg_scale).
#pragma once

#include <functional>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/flux/flux_transformer.h"

namespace kiln {

// Called after each step with the step index, the step count, the model
// input x_t of that step, the time vector and the prediction. A non-ok
// return stops sampling with that status (how cancellation reaches the loop).
struct FlowStep {
  int index = 0;
  int count = 0;
  const float* x = nullptr;     // (batch, img_tokens, in_channels), before the update
  const float* t = nullptr;     // (batch)
  const float* pred = nullptr;  // (batch, img_tokens, out_channels)
};
using FlowStepFn = std::function<Status(const FlowStep&)>;

class FlowSampler {
 public:
  // REQUIRES: model outlives the sampler.
  explicit FlowSampler(const FluxTransformer& model) : model_(model) {}

  // Integrates x in place along schedule (from schedule[0] to schedule.back()).
  //   x (batch, img_tokens, in_channels), initially the packed noise
  // cond supplies everything but img and timesteps. guidance is the value given
  // to [dev]-type models (ignored by the others). uncond, when given (the same
  // shapes as cond; its img and timesteps are ignored), is the empty prompt's
  // conditioning and each step is guided by cfg_scale; on_step sees the
  // guided prediction.
  Status Denoise(ThreadPool& pool, const FluxInputs& cond, float* x, const std::vector<float>& schedule,
                 float guidance, const FlowStepFn& on_step = nullptr, const FluxInputs* uncond = nullptr,
                 float cfg_scale = 1.0f);

 private:
  const FluxTransformer& model_;
  FluxWorkspace workspace_;     // reused across steps and calls
  std::vector<float> pred_;     // (batch, img_tokens, out_channels)
  std::vector<float> pred_uncond_;  // the same, for the empty prompt (guidance only)
  std::vector<float> t_;        // (batch)
  std::vector<float> g_;        // (batch)
};

}  // namespace kiln
