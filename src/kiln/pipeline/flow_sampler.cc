#include "kiln/pipeline/flow_sampler.h"

namespace kiln {

Status FlowSampler::Denoise(ThreadPool& pool, const FluxInputs& cond, float* x, const std::vector<float>& schedule,
                            float guidance, const FlowStepFn& on_step, const FluxInputs* uncond,
                            float cfg_scale) {
  const FluxConfig& config = model_.config();
  if (config.in_channels != config.out_channels) {
    return Status::InvalidArgument("flow sampling needs in_channels == out_channels");
  }
  if (schedule.size() < 2) return Status::InvalidArgument("flow sampling needs at least one step");
  const int64_t b = cond.batch;
  pred_.resize(static_cast<size_t>(b * cond.img_tokens * config.out_channels));
  t_.resize(static_cast<size_t>(b));
  g_.assign(static_cast<size_t>(b), guidance);

  FluxInputs in = cond;
  in.img = x;
  in.timesteps = t_.data();
  in.guidance = config.guidance_embed ? g_.data() : nullptr;
  KILN_RETURN_IF_ERROR(model_.ValidateInputs(in));
  FluxInputs in_uncond;
  if (uncond != nullptr) {
    if (uncond->batch != b || uncond->img_tokens != cond.img_tokens || uncond->txt_tokens != cond.txt_tokens) {
      return Status::InvalidArgument("uncond: must have the batch and token counts of cond");
    }
    in_uncond = *uncond;
    in_uncond.img = x;
    in_uncond.timesteps = t_.data();
    in_uncond.guidance = in.guidance;
    KILN_RETURN_IF_ERROR(model_.ValidateInputs(in_uncond).WithContext("uncond"));
    pred_uncond_.resize(pred_.size());
  }

  const int steps = static_cast<int>(schedule.size()) - 1;
  const int64_t n = static_cast<int64_t>(pred_.size());
  for (int i = 0; i < steps; ++i) {
    t_.assign(static_cast<size_t>(b), schedule[i]);
    model_.Forward(pool, in, pred_.data(), workspace_);
    if (uncond != nullptr) {
      model_.Forward(pool, in_uncond, pred_uncond_.data(), workspace_);
      float* pc = pred_.data();
      const float* pu = pred_uncond_.data();
      pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
        for (int64_t j = begin; j < end; ++j) pc[j] = pu[j] + cfg_scale * (pc[j] - pu[j]);
      }, 4096);
    }
    if (on_step) {
      KILN_RETURN_IF_ERROR(on_step(FlowStep{i, steps, x, t_.data(), pred_.data()}));
    }
    // The official code takes the difference in Python double, then scales the float32 tensor.
    const float dt = static_cast<float>(static_cast<double>(schedule[i + 1]) - static_cast<double>(schedule[i]));
    const float* pred = pred_.data();
    pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) x[j] = x[j] + dt * pred[j];
    }, 4096);
  }
  return Status::Ok();
}

}  // namespace kiln
