// TenantAuth: API key → tenant. Keys are stored only as SHA-256 hashes
// (`kiln keys create` writes them); keys verified once are remembered in
// memory with their tenant, and a miss asks the store, so keys created while
// the server runs work at once. Thread-safe.
#pragma once

#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kiln/base/status.h"
#include "kiln/jobs/job_store.h"

namespace kiln {

class TenantAuth {
 public:
  explicit TenantAuth(JobStore& store) : store_(store) {}

  // Unauthenticated when the key is empty, PermissionDenied when unknown.
  StatusOr<Tenant> Authenticate(std::string_view api_key);

 private:
  JobStore& store_;
  std::shared_mutex mutex_;  // shared for lookups (every request), exclusive to add
  std::unordered_map<std::string, Tenant> by_verified_key_;  // guarded by mutex_
};

// A new API key: "kiln_" + 32 random bytes, base64url.
std::string NewApiKey();
// Tenant names: 1–64 of [A-Za-z0-9_-] (they appear in blob paths and metrics).
Status ValidateTenantName(std::string_view name);

}  // namespace kiln
