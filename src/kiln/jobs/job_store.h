// JobStore: where jobs, tenants and API keys live durably. SQLite (WAL) in the
// embedded default (sqlite_job_store.h); PostgreSQL later. Nothing above jobs/
// knows which one runs.
//
// Writes that a client is told about (Insert, Finish, Cancel) are durable
// when their callback/return says ok: a kill -9 after that loses nothing.
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/jobs/job.h"

namespace kiln {

struct Tenant {
  std::string name;
  double rate_per_second = 0;  // submits per second (token bucket); 0: unlimited
  double burst = 0;            // bucket size; 0: max(1, rate)
  int max_active = 0;          // queued + running jobs at once; 0: unlimited
  int max_priority = 0;        // highest priority its requests may ask for
};

// One version of a tenant's moderation policy, as the JSON text it was set
// with (moderation/policy.h parses it; the store only keeps it).
struct StoredPolicy {
  std::string tenant;
  int version = 0;
  std::string json;
  int64_t created_ms = 0;
};

// A tenant's concept head (moderation/concept_head.h), as JSON.
struct StoredConcept {
  std::string tenant;
  std::string name;
  std::string json;
  int64_t created_ms = 0;
};

// One moderation decision: what was checked, under which policy version, the
// action and its reasons (a JSON array; moderation/decision_json.h writes it).
struct ModerationAuditEntry {
  std::string job_id;  // "" for checks not tied to a job (POST /v1/moderations)
  std::string tenant;
  std::string stage;   // "prompt", "output_image", "input_image", "text", "image"
  std::string action;  // "allow", "flag", "review", "block"
  int policy_version = 0;
  std::string reasons_json;
  int64_t at_ms = 0;
};

struct WebhookAttempt {
  std::string job_id;
  int attempt = 0;        // 1-based
  int64_t at_ms = 0;      // unix ms
  int http_status = 0;    // 0: no answer (connection error, refused target)
  std::string error;      // "" on 2xx
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  // Records a new job (state queued). done(ok, job) is called, from a store
  // thread, once the job is durable; inserts from many callers are committed
  // together (group commit). When job.idempotency_key is set and the tenant
  // already has a job with that key, nothing is written and done gets the
  // existing job (callers compare ids). Never blocks the caller.
  using InsertDone = std::function<void(const Status&, const Job&)>;
  virtual void InsertAsync(Job job, InsertDone done) = 0;
  // The same, waiting for done.
  virtual StatusOr<Job> Insert(Job job) = 0;

  // NotFound when there is no such job.
  virtual StatusOr<Job> Get(std::string_view id) = 0;

  // queued → running. FailedPrecondition when the job is not queued.
  virtual Status MarkRunning(std::string_view id, int64_t started_ms) = 0;
  // Progress of a running job; need not be durable.
  virtual Status UpdateProgress(std::string_view id, double progress) = 0;
  // queued|running → a terminal state, durably. FailedPrecondition when the
  // job is already terminal (it finished exactly once).
  virtual Status Finish(std::string_view id, JobState state, int64_t finished_ms,
                        std::string_view blob_key, std::string_view error,
                        std::string_view details_json) = 0;

  // Jobs queued or running, oldest first: what a restarted process must run.
  virtual StatusOr<std::vector<Job>> Unfinished() = 0;

  // Tenants and API keys (keys are stored only as SHA-256 hex).
  virtual Status PutTenant(const Tenant& tenant) = 0;
  virtual StatusOr<Tenant> GetTenant(std::string_view name) = 0;
  virtual Status AddApiKey(std::string_view key_sha256_hex, std::string_view tenant) = 0;
  // The tenant owning a key hash; NotFound for an unknown key.
  virtual StatusOr<std::string> TenantForKey(std::string_view key_sha256_hex) = 0;

  // Operator keys for the admin API (not tied to a tenant), stored as SHA-256 hex.
  virtual Status AddAdminKey(std::string_view key_sha256_hex) = 0;
  virtual StatusOr<bool> IsAdminKey(std::string_view key_sha256_hex) = 0;

  // Moderation policies: every version is kept. FailedPrecondition when the
  // version is not above the tenant's latest (the one in force stays).
  virtual Status PutPolicy(const StoredPolicy& policy) = 0;
  // The latest version of every tenant that has set one.
  virtual StatusOr<std::vector<StoredPolicy>> CurrentPolicies() = 0;
  // Concept heads, one per (tenant, name); Put replaces. Delete: NotFound when absent.
  virtual Status PutConcept(const StoredConcept& concept_head) = 0;
  virtual Status DeleteConcept(std::string_view tenant, std::string_view name) = 0;
  virtual StatusOr<std::vector<StoredConcept>> Concepts() = 0;
  // The audit log. Recording does not wait: entries are committed with the
  // next group of writes (a crash may lose the last few milliseconds' entries,
  // never a job).
  virtual void RecordModeration(ModerationAuditEntry entry) = 0;
  // Entries of a job, oldest first.
  virtual StatusOr<std::vector<ModerationAuditEntry>> ModerationAudit(std::string_view job_id) = 0;

  virtual Status RecordWebhookAttempt(const WebhookAttempt& attempt) = 0;
  virtual StatusOr<std::vector<WebhookAttempt>> WebhookAttempts(std::string_view job_id) = 0;
};

}  // namespace kiln
