// SqliteJobStore: the embedded JobStore, one SQLite database file in WAL mode.
//
// Every write goes through one writer thread. It takes all writes waiting (up
// to max_group) and commits them in one transaction, so many concurrent
// submitters share each fsync (group commit): with synchronous=FULL a commit
// costs one WAL fsync however many jobs it holds. Reads use a second
// connection and never wait for the writer (WAL readers see the last commit).
//
// Callbacks of InsertAsync run on the writer thread, after the commit: they
// must be short (hand the result over), or they delay the next group.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kiln/jobs/job_store.h"

namespace kiln {

class SqliteConnection;

struct SqliteStoreOptions {
  // FULL: a commit survives power loss. NORMAL: it survives a crash or kill -9
  // of the process (the WAL is in the OS cache) but not a power loss.
  bool synchronous_full = true;
  // The most writes one transaction holds.
  int max_group = 256;
  // The most inserts waiting for the writer; InsertAsync beyond that fails
  // with ResourceExhausted instead of growing memory without bound. Updates
  // of existing jobs are never refused this way.
  size_t max_pending_inserts = 100000;
  int busy_timeout_ms = 5000;
};

class SqliteJobStore : public JobStore {
 public:
  // Opens or creates the database at path (and its parent directory), creating
  // or checking the schema. FailedPrecondition when the file was written by a
  // newer schema version, or when WAL mode is not available there.
  static StatusOr<std::unique_ptr<SqliteJobStore>> Open(const std::string& path,
                                                        SqliteStoreOptions options = {});
  // Commits every write accepted so far, then closes.
  ~SqliteJobStore() override;

  void InsertAsync(Job job, InsertDone done) override;
  StatusOr<Job> Insert(Job job) override;
  StatusOr<Job> Get(std::string_view id) override;
  Status MarkRunning(std::string_view id, int64_t started_ms) override;
  // Applied by the writer thread after it returns (not waited for): a Get
  // right after may still see the previous value. Ignored unless running.
  Status UpdateProgress(std::string_view id, double progress) override;
  Status Finish(std::string_view id, JobState state, int64_t finished_ms, std::string_view blob_key,
                std::string_view error, std::string_view details_json) override;
  StatusOr<std::vector<Job>> Unfinished() override;
  Status PutTenant(const Tenant& tenant) override;
  StatusOr<Tenant> GetTenant(std::string_view name) override;
  // AlreadyExists when the key belongs to another tenant; adding it again to
  // the same tenant is ok.
  Status AddApiKey(std::string_view key_sha256_hex, std::string_view tenant) override;
  StatusOr<std::string> TenantForKey(std::string_view key_sha256_hex) override;
  // Moderation tables (sqlite_moderation_tables.cc).
  Status AddAdminKey(std::string_view key_sha256_hex) override;
  StatusOr<bool> IsAdminKey(std::string_view key_sha256_hex) override;
  Status PutPolicy(const StoredPolicy& policy) override;
  StatusOr<std::vector<StoredPolicy>> CurrentPolicies() override;
  Status PutConcept(const StoredConcept& concept_head) override;
  Status DeleteConcept(std::string_view tenant, std::string_view name) override;
  StatusOr<std::vector<StoredConcept>> Concepts() override;
  void RecordModeration(ModerationAuditEntry entry) override;
  StatusOr<std::vector<ModerationAuditEntry>> ModerationAudit(std::string_view job_id) override;

  Status RecordWebhookAttempt(const WebhookAttempt& attempt) override;
  StatusOr<std::vector<WebhookAttempt>> WebhookAttempts(std::string_view job_id) override;

 private:
  // One write: apply runs inside the group's transaction on the writer
  // thread; complete gets the final outcome (apply's status when the commit
  // succeeded, the commit's error otherwise).
  struct Write {
    std::function<Status(SqliteConnection&)> apply;
    std::function<void(const Status&)> complete;
    bool is_insert = false;
  };

  SqliteJobStore(SqliteStoreOptions options, std::unique_ptr<SqliteConnection> writer_db,
                 std::unique_ptr<SqliteConnection> reader_db);

  // False (and nothing queued) once the store is closing, or when an insert
  // finds the queue full; the reason is in *refused.
  bool Enqueue(Write write, Status* refused);
  // Queues apply and waits for its durable outcome.
  Status WriteAndWait(std::function<Status(SqliteConnection&)> apply);
  void WriterLoop();
  void CommitGroup(std::deque<Write>& group);

  const SqliteStoreOptions options_;
  std::unique_ptr<SqliteConnection> writer_db_;  // the writer thread's alone once it runs

  std::mutex read_mu_;  // guards reader_db_
  std::unique_ptr<SqliteConnection> reader_db_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Write> queue_;      // guarded by queue_mu_
  size_t pending_inserts_ = 0;   // guarded by queue_mu_
  bool closing_ = false;         // guarded by queue_mu_
  std::thread writer_;
};

}  // namespace kiln
