#include "kiln/moderation/tenant_policies.h"

#include <algorithm>
#include <mutex>

namespace kiln {

TenantPolicies::TenantPolicies(ModerationPolicy default_policy, std::string default_policy_json) {
  auto m = std::make_shared<TenantModeration>();
  m->policy = std::move(default_policy);
  m->policy_json = std::move(default_policy_json);
  default_ = std::move(m);
}

std::shared_ptr<const TenantModeration> TenantPolicies::For(std::string_view tenant) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = tenants_.find(tenant);
  return it == tenants_.end() ? default_ : it->second;
}

std::shared_ptr<TenantModeration> TenantPolicies::Copy(const std::string& tenant) const {
  auto it = tenants_.find(tenant);
  auto copy = std::make_shared<TenantModeration>(it == tenants_.end() ? *default_ : *it->second);
  Relink(*copy);
  return copy;
}

// concept_ptrs must point into this snapshot's own vector, never a copied-from one.
void TenantPolicies::Relink(TenantModeration& m) {
  m.concept_ptrs.clear();
  for (const ConceptHead& head : m.concepts) m.concept_ptrs.push_back(&head);
}

void TenantPolicies::SetPolicy(const std::string& tenant, ModerationPolicy policy, std::string policy_json) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  std::shared_ptr<TenantModeration> m = Copy(tenant);
  m->policy = std::move(policy);
  m->policy_json = std::move(policy_json);
  m->is_default = false;
  tenants_[tenant] = std::move(m);
}

void TenantPolicies::SetConcept(const std::string& tenant, ConceptHead head) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  std::shared_ptr<TenantModeration> m = Copy(tenant);
  auto same = std::find_if(m->concepts.begin(), m->concepts.end(),
                           [&](const ConceptHead& h) { return h.name == head.name; });
  if (same != m->concepts.end()) {
    *same = std::move(head);
  } else {
    m->concepts.push_back(std::move(head));
  }
  Relink(*m);
  tenants_[tenant] = std::move(m);
}

bool TenantPolicies::RemoveConcept(const std::string& tenant, std::string_view name) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  std::shared_ptr<TenantModeration> m = Copy(tenant);
  const size_t before = m->concepts.size();
  std::erase_if(m->concepts, [&](const ConceptHead& h) { return h.name == name; });
  if (m->concepts.size() == before) return false;
  Relink(*m);
  tenants_[tenant] = std::move(m);
  return true;
}

}  // namespace kiln
