// SqliteJobStore's moderation tables: tenants' policy versions, concept
// heads and the audit log of decisions. Same writer thread and group commit
// as the jobs (sqlite_job_store.cc), so an audit entry costs no fsync of its own.
#include <utility>

#include "kiln/jobs/sqlite_connection.h"
#include "kiln/jobs/sqlite_job_store.h"

namespace kiln {

Status SqliteJobStore::PutPolicy(const StoredPolicy& policy) {
  if (policy.tenant.empty() || policy.version < 1) {
    return Status::InvalidArgument("a stored policy needs a tenant and a version from 1");
  }
  return WriteAndWait([policy](SqliteConnection& db) -> Status {
    {
      KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                            db.Prepare("SELECT COALESCE(MAX(version), 0) FROM moderation_policies WHERE tenant = ?1"));
      s.BindText(1, policy.tenant);
      KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
      const int64_t latest = row ? s.ColumnInt64(0) : 0;
      if (policy.version <= latest) {
        return Status::FailedPrecondition("policy: version must be above " + std::to_string(latest) +
                                          ", the version in force for tenant " + policy.tenant);
      }
    }
    KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare("INSERT INTO moderation_policies (tenant, version, policy_json, "
                                                        "created_ms) VALUES (?1, ?2, ?3, ?4)"));
    s.BindText(1, policy.tenant);
    s.BindInt64(2, policy.version);
    s.BindText(3, policy.json);
    s.BindInt64(4, policy.created_ms);
    return s.Run().WithContext("policy of tenant " + policy.tenant);
  });
}

StatusOr<std::vector<StoredPolicy>> SqliteJobStore::CurrentPolicies() {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                        reader_db_->Prepare("SELECT p.tenant, p.version, p.policy_json, p.created_ms "
                                            "FROM moderation_policies p JOIN (SELECT tenant, MAX(version) AS v "
                                            "FROM moderation_policies GROUP BY tenant) latest "
                                            "ON p.tenant = latest.tenant AND p.version = latest.v ORDER BY p.tenant"));
  std::vector<StoredPolicy> policies;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    policies.push_back(
        StoredPolicy{s.ColumnText(0), static_cast<int>(s.ColumnInt64(1)), s.ColumnText(2), s.ColumnInt64(3)});
  }
  return policies;
}

Status SqliteJobStore::PutConcept(const StoredConcept& head) {
  if (head.tenant.empty() || head.name.empty()) return Status::InvalidArgument("a concept head needs a tenant and a name");
  return WriteAndWait([head](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("INSERT INTO concept_heads (tenant, name, head_json, created_ms) "
                                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant, name) DO UPDATE SET "
                                     "head_json = excluded.head_json, created_ms = excluded.created_ms"));
    s.BindText(1, head.tenant);
    s.BindText(2, head.name);
    s.BindText(3, head.json);
    s.BindInt64(4, head.created_ms);
    return s.Run().WithContext("concept " + head.name + " of tenant " + head.tenant);
  });
}

Status SqliteJobStore::DeleteConcept(std::string_view tenant_view, std::string_view name_view) {
  return WriteAndWait([tenant = std::string(tenant_view), name = std::string(name_view)](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare("DELETE FROM concept_heads WHERE tenant = ?1 AND name = ?2"));
    s.BindText(1, tenant);
    s.BindText(2, name);
    KILN_RETURN_IF_ERROR(s.Run());
    if (db.Changes() == 0) return Status::NotFound("tenant " + tenant + " has no concept " + name);
    return Status::Ok();
  });
}

StatusOr<std::vector<StoredConcept>> SqliteJobStore::Concepts() {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, reader_db_->Prepare("SELECT tenant, name, head_json, created_ms "
                                                               "FROM concept_heads ORDER BY tenant, name"));
  std::vector<StoredConcept> heads;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    heads.push_back(StoredConcept{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnInt64(3)});
  }
  return heads;
}

void SqliteJobStore::RecordModeration(ModerationAuditEntry entry) {
  auto apply = [entry = std::move(entry)](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("INSERT INTO moderation_audit (job_id, tenant, stage, action, policy_version, "
                                     "reasons_json, at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    s.BindText(1, entry.job_id);
    s.BindText(2, entry.tenant);
    s.BindText(3, entry.stage);
    s.BindText(4, entry.action);
    s.BindInt64(5, entry.policy_version);
    s.BindText(6, entry.reasons_json);
    s.BindInt64(7, entry.at_ms);
    return s.Run().WithContext("moderation audit entry");
  };
  Status refused;
  // Refused only while the store closes; the decision itself has been acted on.
  (void)Enqueue(Write{std::move(apply), nullptr}, &refused);
}

StatusOr<std::vector<ModerationAuditEntry>> SqliteJobStore::ModerationAudit(std::string_view job_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                        reader_db_->Prepare("SELECT job_id, tenant, stage, action, policy_version, reasons_json, at_ms "
                                            "FROM moderation_audit WHERE job_id = ?1 ORDER BY rowid"));
  s.BindText(1, job_id);
  std::vector<ModerationAuditEntry> entries;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    entries.push_back(ModerationAuditEntry{s.ColumnText(0), s.ColumnText(1), s.ColumnText(2), s.ColumnText(3),
                                           static_cast<int>(s.ColumnInt64(4)), s.ColumnText(5), s.ColumnInt64(6)});
  }
  return entries;
}

}  // namespace kiln
