// POST /v1/moderations: Kiln's moderation as a service, in the shape of
// OpenAI's moderation API — {"input": "text" | ["text", …] | [{"type":
// "text", "text": …}, {"type": "image_url", "image_url": {"url":
// "data:image/png;base64,…"}}, {"type": "kiln_result", "id": "<task id>"}]}
// → {"id", "model", "results": [{"flagged", "categories", "category_scores",
// "category_applied_input_types", "kiln": {"action", "categories",
// "policy_version", "reasons"}}]}, one result per input item, decided under
// the caller's policy at the request's safety_tolerance (default 2).
//
// Parsing and validation run on the network thread (422 naming the field);
// the checks run on the ModerationService's thread and the answer comes
// from there when the last item is done. Each check goes to the audit log.
#pragma once

#include "kiln/jobs/blob_store.h"
#include "kiln/jobs/job_service.h"
#include "kiln/jobs/job_store.h"
#include "kiln/moderation/moderation_service.h"
#include "kiln/server/api_types.h"

namespace kiln {

inline constexpr int kMaxModerationInputs = 32;
inline constexpr size_t kMaxModerationTextBytes = 16384;

class ModerationsRoute {
 public:
  // REQUIRES: every reference outlives the route.
  ModerationsRoute(ModerationService& moderation, JobService& jobs, BlobStore& blobs)
      : moderation_(moderation), jobs_(jobs), blobs_(blobs) {}

  void Handle(const ApiRequest& request, const Tenant& tenant, Responder respond);

 private:
  ModerationService& moderation_;
  JobService& jobs_;
  BlobStore& blobs_;
};

}  // namespace kiln
