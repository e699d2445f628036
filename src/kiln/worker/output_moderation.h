// OutputModeration: the check of every generated image before it is served,
// under the policy of the tenant that asked for it, at the job's
// safety_tolerance. One per worker (it owns an ImageChecker and its buffers).
//
// What the worker does with the outcome: block → "Content Moderated", the
// image is not stored; review → "Content Moderated", the image is kept in
// quarantine (blob key quarantine/<tenant>/<id>.png) for a reviewer and
// never served; flag → served, the categories in the job's details;
// allow → served. Every check is written to the audit log.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/jobs/job.h"
#include "kiln/moderation/image_checker.h"
#include "kiln/moderation/moderation_metrics.h"
#include "kiln/moderation/tenant_policies.h"

namespace kiln {

struct OutputModerationOptions {
  TenantPolicies* policies = nullptr;   // null: no output moderation
  ModerationMetrics* metrics = nullptr;
  std::string nsfw_dir;                 // models/nsfw-mobilenet-v2
};

struct OutputVerdict {
  bool checked = false;  // false: the tenant's policy turns output checks off
  ModerationDecision decision;
  int policy_version = 0;
  JobState state = JobState::kReady;  // kReady or kContentModerated
  bool quarantine = false;            // keep the image for review (never served)
  std::string details_json;           // the job's details with this decision added
};

class OutputModeration {
 public:
  static StatusOr<std::unique_ptr<OutputModeration>> Load(const OutputModerationOptions& options);

  // rgb (height, width, 3) of the job's image. Records metrics; the caller
  // writes the audit entry (AuditEntry) and acts on the verdict.
  StatusOr<OutputVerdict> Check(ThreadPool& pool, const Job& job, const uint8_t* rgb, int width, int height);

 private:
  OutputModeration(OutputModerationOptions options, std::unique_ptr<ImageChecker> checker)
      : options_(std::move(options)), checker_(std::move(checker)) {}
  OutputModerationOptions options_;
  std::unique_ptr<ImageChecker> checker_;
  std::vector<ModerationSignal> signals_;  // reused between checks
};

}  // namespace kiln
