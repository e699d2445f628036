// The admin API (/v1/admin/…), for operators holding an admin key (`kiln
// keys create --admin`; x-key header), not for tenants:
//
//   GET    /v1/admin/tenants/{tenant}/policy           the policy in force (its JSON, version)
//   PUT    /v1/admin/tenants/{tenant}/policy           set a new version (body: the policy JSON)
//   PUT    /v1/admin/tenants/{tenant}/concepts/{name}  train a concept head from labelled images
//   DELETE /v1/admin/tenants/{tenant}/concepts/{name}
//   GET    /v1/admin/tasks/{id}/moderation             the task's audit log entries
//   GET    /v1/admin/tasks/{id}/quarantine             an image held for review (PNG)
//
// A malformed policy is refused with 422 naming the field, and the policy in
// force stays; a version not above the one in force is 409. Changes are
// written to the store first, then put in force. Writes and training run on
// the moderation service's thread, never on a network thread.
#pragma once

#include <string>

#include "kiln/jobs/blob_store.h"
#include "kiln/jobs/job_service.h"
#include "kiln/jobs/job_store.h"
#include "kiln/moderation/moderation_service.h"
#include "kiln/moderation/tenant_policies.h"
#include "kiln/server/api_types.h"

namespace kiln {

class AdminRoute {
 public:
  // REQUIRES: every reference outlives the route.
  AdminRoute(JobStore& store, TenantPolicies& policies, ModerationService& moderation, JobService& jobs,
             BlobStore& blobs)
      : store_(store), policies_(policies), moderation_(moderation), jobs_(jobs), blobs_(blobs) {}

  // request.path starts with /v1/admin/. *route gets the matched route's template.
  void Handle(const ApiRequest& request, Responder respond, std::string* route);

 private:
  void GetPolicy(const std::string& tenant, Responder respond);
  void PutPolicy(const std::string& tenant, const std::string& body, Responder respond);
  void PutConcept(const std::string& tenant, const std::string& name, const std::string& body, Responder respond);
  void DeleteConcept(const std::string& tenant, const std::string& name, Responder respond);
  void TaskModeration(const std::string& id, Responder respond);
  void Quarantine(const std::string& id, Responder respond);

  JobStore& store_;
  TenantPolicies& policies_;
  ModerationService& moderation_;
  JobService& jobs_;
  BlobStore& blobs_;
};

}  // namespace kiln
