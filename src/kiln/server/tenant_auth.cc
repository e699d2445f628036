#include "kiln/server/tenant_auth.h"

#include "kiln/base/crypto.h"

namespace kiln {

StatusOr<Tenant> TenantAuth::Authenticate(std::string_view api_key) {
  if (api_key.empty()) {
    return Status(StatusCode::kUnauthenticated, "x-key: missing; send your API key in the x-key header");
  }
  {
    // Keys already verified are looked up as presented: a SHA-256 per request
    // was a measurable share of a polled get_result. Only verified keys are
    // held, in memory only, as the request buffers hold them anyway.
    std::shared_lock<std::shared_mutex> lock(mutex_);
    auto it = by_verified_key_.find(std::string(api_key));
    if (it != by_verified_key_.end()) return it->second;
  }
  const std::string hash = Sha256Hex(api_key);
  StatusOr<std::string> tenant_name = store_.TenantForKey(hash);
  if (!tenant_name.ok()) {
    if (tenant_name.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kPermissionDenied, "x-key: not a valid API key");
    }
    return tenant_name.status();
  }
  KILN_ASSIGN_OR_RETURN(Tenant tenant, store_.GetTenant(*tenant_name));
  std::lock_guard<std::shared_mutex> lock(mutex_);
  if (by_verified_key_.size() > 100000) by_verified_key_.clear();  // bounded; refilled from the store
  by_verified_key_[std::string(api_key)] = tenant;
  return tenant;
}

std::string NewApiKey() { return "kiln_" + RandomBase64Url(32); }

Status ValidateTenantName(std::string_view name) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument("--tenant: 1 to 64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return Status::InvalidArgument("--tenant: only letters, digits, '_' and '-'");
  }
  return Status::Ok();
}

}  // namespace kiln
