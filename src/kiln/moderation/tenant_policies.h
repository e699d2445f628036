// TenantPolicies: the moderation policy and concept heads in force for each
// tenant, in memory. The store (jobs/) keeps them durably; whoever changes
// one writes the store first, then sets it here. A change swaps the tenant's
// snapshot whole, so a check that took a snapshot finishes under the policy
// it started with. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/moderation/concept_head.h"
#include "kiln/moderation/policy.h"

namespace kiln {

struct TenantModeration {
  ModerationPolicy policy;
  std::string policy_json;  // the text it was parsed from, as the admin API shows it
  bool is_default = true;  // no policy of its own set
  std::vector<ConceptHead> concepts;
  std::vector<const ConceptHead*> concept_ptrs;  // into concepts, for ImageChecker::Check
};

class TenantPolicies {
 public:
  TenantPolicies(ModerationPolicy default_policy, std::string default_policy_json);

  // Never null: the tenant's own, or the default policy with no concepts.
  std::shared_ptr<const TenantModeration> For(std::string_view tenant) const;

  void SetPolicy(const std::string& tenant, ModerationPolicy policy, std::string policy_json);
  void SetConcept(const std::string& tenant, ConceptHead head);  // replaces one of the same name
  bool RemoveConcept(const std::string& tenant, std::string_view name);  // false when absent

  const ModerationPolicy& default_policy() const { return default_->policy; }

 private:
  // Copies the tenant's snapshot (or the default) for a change. Caller holds mutex_.
  std::shared_ptr<TenantModeration> Copy(const std::string& tenant) const;
  static void Relink(TenantModeration& m);

  std::shared_ptr<const TenantModeration> default_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<const TenantModeration>, std::less<>> tenants_;  // guarded by mutex_
};

}  // namespace kiln
