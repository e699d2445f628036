#include "kiln/worker/output_moderation.h"

#include <chrono>

#include "kiln/moderation/decision_json.h"

namespace kiln {

StatusOr<std::unique_ptr<OutputModeration>> OutputModeration::Load(const OutputModerationOptions& options) {
  if (options.policies == nullptr || options.metrics == nullptr) {
    return Status::InvalidArgument("output moderation needs the tenants' policies and the metrics");
  }
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<ImageChecker> checker, ImageChecker::Load(options.nsfw_dir));
  return std::unique_ptr<OutputModeration>(new OutputModeration(options, std::move(checker)));
}

StatusOr<OutputVerdict> OutputModeration::Check(ThreadPool& pool, const Job& job, const uint8_t* rgb, int width,
                                                int height) {
  std::shared_ptr<const TenantModeration> snapshot = options_.policies->For(job.tenant);
  OutputVerdict v;
  v.policy_version = snapshot->policy.version;
  v.details_json = job.details_json;
  if (!snapshot->policy.ChecksStage("output_image")) return v;
  const auto start = std::chrono::steady_clock::now();
  signals_.clear();  // Check appends
  KILN_RETURN_IF_ERROR(checker_->Check(pool, rgb, width, height, snapshot->concept_ptrs, &signals_));
  v.decision = Decide(snapshot->policy, job.request.safety_tolerance, signals_);
  v.checked = true;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  options_.metrics->Record(job.tenant, "output_image", signals_, v.decision, seconds);
  const bool stopped = v.decision.action >= ModerationAction::kReview;
  v.state = stopped ? JobState::kContentModerated : JobState::kReady;
  v.quarantine = v.decision.action == ModerationAction::kReview;
  if (v.decision.action != ModerationAction::kAllow) {
    v.details_json = AddDecisionToDetails(job.details_json, v.decision, "output_image", v.policy_version, stopped);
  }
  return v;
}

}  // namespace kiln
