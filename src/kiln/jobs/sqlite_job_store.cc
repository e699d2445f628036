#include "kiln/jobs/sqlite_job_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>
#include <utility>

#include "kiln/base/clock.h"
#include "kiln/base/logging.h"
#include "kiln/jobs/sqlite_connection.h"

namespace kiln {
namespace {

// user_version of the schema this code writes. A later version adds a
// migration step from each older one in CreateOrCheckSchema.
// Version 2 added the moderation tables and admin keys (CREATE … IF NOT
// EXISTS, so running the whole schema migrates a version 1 file).
constexpr int kSchemaVersion = 2;

const std::string kSchema = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT NOT NULL PRIMARY KEY,
  tenant TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  steps INTEGER NOT NULL,
  guidance REAL NOT NULL,
  seed INTEGER NOT NULL,
  safety_tolerance INTEGER NOT NULL,
  output_format TEXT NOT NULL,
  webhook_url TEXT NOT NULL,
  webhook_secret TEXT NOT NULL,
  priority INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL,
  progress REAL NOT NULL,
  blob_key TEXT NOT NULL,
  error TEXT NOT NULL,
  details_json TEXT NOT NULL,
  traceparent TEXT NOT NULL,
  idempotency_key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_by_idempotency_key ON jobs(tenant, idempotency_key)
  WHERE idempotency_key != '';
CREATE TABLE IF NOT EXISTS tenants (
  name TEXT NOT NULL PRIMARY KEY,
  rate_per_second REAL NOT NULL,
  burst REAL NOT NULL,
  max_active INTEGER NOT NULL,
  max_priority INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  key_sha256 TEXT NOT NULL PRIMARY KEY,
  tenant TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS webhook_attempts (
  job_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at_ms INTEGER NOT NULL,
  http_status INTEGER NOT NULL,
  error TEXT NOT NULL,
  PRIMARY KEY (job_id, attempt)
);
CREATE TABLE IF NOT EXISTS admin_keys (
  key_sha256 TEXT NOT NULL PRIMARY KEY,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS moderation_policies (
  tenant TEXT NOT NULL,
  version INTEGER NOT NULL,
  policy_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, version)
);
CREATE TABLE IF NOT EXISTS concept_heads (
  tenant TEXT NOT NULL,
  name TEXT NOT NULL,
  head_json TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, name)
);
CREATE TABLE IF NOT EXISTS moderation_audit (
  job_id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  stage TEXT NOT NULL,
  action TEXT NOT NULL,
  policy_version INTEGER NOT NULL,
  reasons_json TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS moderation_audit_by_job ON moderation_audit(job_id);
)sql";

// Column order shared by every statement that reads a whole job (ReadJob).
const std::string kJobColumns =
    "id, tenant, model, prompt, width, height, steps, guidance, seed, safety_tolerance, "
    "output_format, webhook_url, webhook_secret, priority, deadline_ms, state, created_ms, "
    "started_ms, finished_ms, progress, blob_key, error, details_json, traceparent, idempotency_key";

const std::string kInsertJob = "INSERT INTO jobs (" + kJobColumns +
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                               "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)";
const std::string kSelectJobById = "SELECT " + kJobColumns + " FROM jobs WHERE id = ?1";
// The last term lets SQLite use the partial unique index.
const std::string kSelectJobByIdempotencyKey =
    "SELECT " + kJobColumns +
    " FROM jobs WHERE tenant = ?1 AND idempotency_key = ?2 AND idempotency_key != ''";
const std::string kSelectUnfinished = "SELECT " + kJobColumns +
                                      " FROM jobs WHERE state IN ('queued', 'running') "
                                      "ORDER BY created_ms, rowid";
const std::string kSelectState = "SELECT state FROM jobs WHERE id = ?1";

const std::string kBegin = "BEGIN IMMEDIATE";
const std::string kCommit = "COMMIT";

Status RunStatement(SqliteConnection& db, const std::string& sql) {
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare(sql));
  return s.Run();
}

void BindJob(SqliteStatement& s, const Job& job) {
  const JobRequest& r = job.request;
  s.BindText(1, job.id);
  s.BindText(2, job.tenant);
  s.BindText(3, r.model);
  s.BindText(4, r.prompt);
  s.BindInt64(5, r.width);
  s.BindInt64(6, r.height);
  s.BindInt64(7, r.steps);
  s.BindDouble(8, r.guidance);
  // SQLite integers are signed 64-bit; the seed keeps its bit pattern.
  s.BindInt64(9, static_cast<int64_t>(r.seed));
  s.BindInt64(10, r.safety_tolerance);
  s.BindText(11, r.output_format);
  s.BindText(12, r.webhook_url);
  s.BindText(13, r.webhook_secret);
  s.BindInt64(14, r.priority);
  s.BindInt64(15, r.deadline_ms);
  s.BindText(16, JobStateName(job.state));
  s.BindInt64(17, job.created_ms);
  s.BindInt64(18, job.started_ms);
  s.BindInt64(19, job.finished_ms);
  s.BindDouble(20, job.progress);
  s.BindText(21, job.blob_key);
  s.BindText(22, job.error);
  s.BindText(23, job.details_json);
  s.BindText(24, job.traceparent);
  s.BindText(25, job.idempotency_key);
}

StatusOr<Job> ReadJob(const SqliteStatement& s) {
  Job job;
  JobRequest& r = job.request;
  job.id = s.ColumnText(0);
  job.tenant = s.ColumnText(1);
  r.model = s.ColumnText(2);
  r.prompt = s.ColumnText(3);
  r.width = static_cast<int>(s.ColumnInt64(4));
  r.height = static_cast<int>(s.ColumnInt64(5));
  r.steps = static_cast<int>(s.ColumnInt64(6));
  r.guidance = static_cast<float>(s.ColumnDouble(7));
  r.seed = static_cast<uint64_t>(s.ColumnInt64(8));
  r.safety_tolerance = static_cast<int>(s.ColumnInt64(9));
  r.output_format = s.ColumnText(10);
  r.webhook_url = s.ColumnText(11);
  r.webhook_secret = s.ColumnText(12);
  r.priority = static_cast<int>(s.ColumnInt64(13));
  r.deadline_ms = s.ColumnInt64(14);
  const std::string state = s.ColumnText(15);
  const std::optional<JobState> parsed = ParseJobState(state);
  if (!parsed) return Status::DataLoss("job " + job.id + " has an unknown state '" + state + "'");
  job.state = *parsed;
  job.created_ms = s.ColumnInt64(16);
  job.started_ms = s.ColumnInt64(17);
  job.finished_ms = s.ColumnInt64(18);
  job.progress = s.ColumnDouble(19);
  job.blob_key = s.ColumnText(20);
  job.error = s.ColumnText(21);
  job.details_json = s.ColumnText(22);
  job.traceparent = s.ColumnText(23);
  job.idempotency_key = s.ColumnText(24);
  return job;
}

// The job with this id; nullopt when there is none.
StatusOr<std::optional<Job>> FindJob(SqliteConnection& db, const std::string& sql, std::string_view a,
                                     std::string_view b = {}) {
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare(sql));
  s.BindText(1, a);
  if (!b.empty()) s.BindText(2, b);
  KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return std::optional<Job>();
  KILN_ASSIGN_OR_RETURN(Job job, ReadJob(s));
  return std::optional<Job>(std::move(job));
}

// Why a conditional UPDATE of a job changed nothing: NotFound, or
// FailedPrecondition naming the state it is in.
Status WhyNotUpdated(SqliteConnection& db, std::string_view id, std::string_view wanted) {
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare(kSelectState));
  s.BindText(1, id);
  KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Status::NotFound("no job " + std::string(id));
  return Status::FailedPrecondition("job " + std::string(id) + " is " + s.ColumnText(0) + ", not " +
                                    std::string(wanted));
}

bool IsSha256Hex(std::string_view text) {
  return text.size() == 64 &&
         std::all_of(text.begin(), text.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Status CreateOrCheckSchema(SqliteConnection& db) {
  KILN_ASSIGN_OR_RETURN(const std::string version_text, db.QueryText("PRAGMA user_version"));
  const int version = std::stoi(version_text);
  if (version == kSchemaVersion) return Status::Ok();
  if (version > kSchemaVersion) {
    return Status::FailedPrecondition(db.path() + " has job store schema version " + std::to_string(version) +
                                      ", newer than this binary's " + std::to_string(kSchemaVersion));
  }
  // A new file (version 0) or an older one: the schema's statements create
  // what is missing. One transaction, so a crash leaves no half schema.
  KILN_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Status status = db.Exec(kSchema);
  if (status.ok()) status = db.Exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  if (status.ok()) return db.Exec("COMMIT");
  (void)db.Exec("ROLLBACK");
  return status;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(const std::string& path, SqliteStoreOptions options) {
  if (path.empty() || path == ":memory:" || path.front() == '?') {
    return Status::InvalidArgument("the job store needs a database file path, got '" + path + "'");
  }
  if (options.max_group < 1) return Status::InvalidArgument("max_group must be at least 1");
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status::IOError("cannot create " + parent.string() + ": " + ec.message());
  }
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> writer,
                        SqliteConnection::Open(path, /*create=*/true, options.busy_timeout_ms));
  KILN_ASSIGN_OR_RETURN(const std::string mode, writer->QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return Status::FailedPrecondition(path + ": cannot use WAL mode (journal_mode is " + mode + ")");
  }
  KILN_RETURN_IF_ERROR(writer->Exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  KILN_RETURN_IF_ERROR(CreateOrCheckSchema(*writer).WithContext("job store schema"));
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> reader,
                        SqliteConnection::Open(path, /*create=*/false, options.busy_timeout_ms));
  return std::unique_ptr<SqliteJobStore>(new SqliteJobStore(options, std::move(writer), std::move(reader)));
}

SqliteJobStore::SqliteJobStore(SqliteStoreOptions options, std::unique_ptr<SqliteConnection> writer_db,
                               std::unique_ptr<SqliteConnection> reader_db)
    : options_(options), writer_db_(std::move(writer_db)), reader_db_(std::move(reader_db)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

SqliteJobStore::~SqliteJobStore() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
}

// --- the writer ------------------------------------------------------------------

bool SqliteJobStore::Enqueue(Write write, Status* refused) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (closing_) {
      *refused = Status::Unavailable("the job store is closing");
      return false;
    }
    if (write.is_insert) {
      if (pending_inserts_ >= options_.max_pending_inserts) {
        *refused = Status::ResourceExhausted("the job store's write queue is full (" +
                                             std::to_string(pending_inserts_) + " inserts waiting)");
        return false;
      }
      ++pending_inserts_;
    }
    queue_.push_back(std::move(write));
  }
  queue_cv_.notify_one();
  return true;
}

Status SqliteJobStore::WriteAndWait(std::function<Status(SqliteConnection&)> apply) {
  auto promise = std::make_shared<std::promise<Status>>();
  std::future<Status> result = promise->get_future();
  Status refused;
  if (!Enqueue(Write{std::move(apply), [promise](const Status& s) { promise->set_value(s); }}, &refused)) {
    return refused;
  }
  return result.get();
}

void SqliteJobStore::WriterLoop() {
  const size_t max_group = static_cast<size_t>(options_.max_group);
  std::deque<Write> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      // Closing still drains the queue: everything accepted gets committed.
      if (queue_.empty()) return;
      const size_t n = std::min(max_group, queue_.size());
      for (size_t i = 0; i < n; ++i) {
        if (queue_.front().is_insert) --pending_inserts_;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    CommitGroup(group);
    group.clear();
  }
}

void SqliteJobStore::CommitGroup(std::deque<Write>& group) {
  SqliteConnection& db = *writer_db_;
  std::vector<Status> results;
  results.reserve(group.size());
  // IMMEDIATE takes the write lock up front, so no statement inside the group
  // can fail with BUSY halfway through.
  Status group_error = RunStatement(db, kBegin);
  if (group_error.ok()) {
    for (Write& write : group) {
      results.push_back(write.apply(db));
      // A statement error normally undoes only that statement, but after some
      // (I/O error, disk full) SQLite has rolled back the whole transaction:
      // then nothing of this group was written.
      if (!results.back().ok() && db.InAutocommit()) {
        group_error = results.back().WithContext("job store transaction rolled back");
        break;
      }
    }
  }
  if (group_error.ok()) group_error = RunStatement(db, kCommit);
  if (!group_error.ok()) {
    KILN_LOG(kError) << "job store: a group of " << group.size() << " writes failed: " << group_error.ToString();
    if (!db.InAutocommit()) (void)db.Exec("ROLLBACK");
  }
  for (size_t i = 0; i < group.size(); ++i) {
    if (group[i].complete) group[i].complete(group_error.ok() ? results[i] : group_error);
  }
}

// --- jobs ------------------------------------------------------------------------

void SqliteJobStore::InsertAsync(Job job, InsertDone done) {
  struct InsertState {
    Job job;
    Job result;
    InsertDone done;
  };
  auto state = std::make_shared<InsertState>();
  state->job = std::move(job);
  state->done = std::move(done);
  if (state->job.id.empty() || state->job.tenant.empty()) {
    state->done(Status::InvalidArgument("a job needs an id and a tenant"), state->job);
    return;
  }
  Write write;
  write.is_insert = true;
  write.apply = [state](SqliteConnection& db) -> Status {
    const Job& job = state->job;
    if (!job.idempotency_key.empty()) {
      // Same connection, same transaction: this also sees a job with the key
      // inserted earlier in this very group.
      KILN_ASSIGN_OR_RETURN(std::optional<Job> existing,
                            FindJob(db, kSelectJobByIdempotencyKey, job.tenant, job.idempotency_key));
      if (existing) {
        state->result = std::move(*existing);
        return Status::Ok();
      }
    }
    KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare(kInsertJob));
    BindJob(s, job);
    KILN_RETURN_IF_ERROR(s.Run().WithContext("insert of job " + job.id));
    state->result = job;
    return Status::Ok();
  };
  write.complete = [state](const Status& status) { state->done(status, status.ok() ? state->result : state->job); };
  Status refused;
  if (!Enqueue(std::move(write), &refused)) state->done(refused, state->job);
}

StatusOr<Job> SqliteJobStore::Insert(Job job) {
  auto promise = std::make_shared<std::promise<StatusOr<Job>>>();
  std::future<StatusOr<Job>> result = promise->get_future();
  InsertAsync(std::move(job), [promise](const Status& status, const Job& stored) {
    if (status.ok()) {
      promise->set_value(stored);
    } else {
      promise->set_value(status);
    }
  });
  return result.get();
}

StatusOr<Job> SqliteJobStore::Get(std::string_view id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(std::optional<Job> job, FindJob(*reader_db_, kSelectJobById, id));
  if (!job) return Status::NotFound("no job " + std::string(id));
  return std::move(*job);
}

Status SqliteJobStore::MarkRunning(std::string_view id_view, int64_t started_ms) {
  std::string id(id_view);
  return WriteAndWait([id, started_ms](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("UPDATE jobs SET state = 'running', started_ms = ?2 "
                                     "WHERE id = ?1 AND state = 'queued'"));
    s.BindText(1, id);
    s.BindInt64(2, started_ms);
    KILN_RETURN_IF_ERROR(s.Run());
    if (db.Changes() == 0) return WhyNotUpdated(db, id, "queued");
    return Status::Ok();
  });
}

Status SqliteJobStore::UpdateProgress(std::string_view id_view, double progress) {
  std::string id(id_view);
  Write write;
  write.apply = [id, progress](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("UPDATE jobs SET progress = ?2 WHERE id = ?1 AND state = 'running'"));
    s.BindText(1, id);
    s.BindDouble(2, progress);
    return s.Run();
  };
  write.complete = [id](const Status& status) {
    if (!status.ok()) {
      KILN_LOG(kWarning) << "progress of job " << id << " not stored: " << status.ToString();
    }
  };
  Status refused;
  if (!Enqueue(std::move(write), &refused)) return refused;
  return Status::Ok();
}

Status SqliteJobStore::Finish(std::string_view id_view, JobState state, int64_t finished_ms,
                              std::string_view blob_key_view, std::string_view error_view,
                              std::string_view details_view) {
  if (!IsTerminal(state)) {
    return Status::InvalidArgument("Finish needs a terminal state, got " + std::string(JobStateName(state)));
  }
  return WriteAndWait([id = std::string(id_view), state, finished_ms, blob_key = std::string(blob_key_view),
                       error = std::string(error_view),
                       details = std::string(details_view)](SqliteConnection& db) -> Status {
    // The state condition is what makes a job finish exactly once.
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("UPDATE jobs SET state = ?2, finished_ms = ?3, blob_key = ?4, error = ?5, "
                                     "details_json = ?6, progress = CASE WHEN ?2 = 'ready' THEN 1.0 ELSE progress END "
                                     "WHERE id = ?1 AND state IN ('queued', 'running')"));
    s.BindText(1, id);
    s.BindText(2, JobStateName(state));
    s.BindInt64(3, finished_ms);
    s.BindText(4, blob_key);
    s.BindText(5, error);
    s.BindText(6, details);
    KILN_RETURN_IF_ERROR(s.Run());
    if (db.Changes() == 0) return WhyNotUpdated(db, id, "queued or running");
    return Status::Ok();
  });
}

StatusOr<std::vector<Job>> SqliteJobStore::Unfinished() {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, reader_db_->Prepare(kSelectUnfinished));
  std::vector<Job> jobs;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    KILN_ASSIGN_OR_RETURN(Job job, ReadJob(s));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// --- tenants and keys ------------------------------------------------------------

Status SqliteJobStore::PutTenant(const Tenant& tenant) {
  if (tenant.name.empty()) return Status::InvalidArgument("a tenant needs a name");
  return WriteAndWait([tenant](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("INSERT INTO tenants (name, rate_per_second, burst, max_active, max_priority) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
                                     "rate_per_second = excluded.rate_per_second, burst = excluded.burst, "
                                     "max_active = excluded.max_active, max_priority = excluded.max_priority"));
    s.BindText(1, tenant.name);
    s.BindDouble(2, tenant.rate_per_second);
    s.BindDouble(3, tenant.burst);
    s.BindInt64(4, tenant.max_active);
    s.BindInt64(5, tenant.max_priority);
    return s.Run().WithContext("tenant " + tenant.name);
  });
}

StatusOr<Tenant> SqliteJobStore::GetTenant(std::string_view name) {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                        reader_db_->Prepare("SELECT name, rate_per_second, burst, max_active, max_priority "
                                            "FROM tenants WHERE name = ?1"));
  s.BindText(1, name);
  KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Status::NotFound("no tenant " + std::string(name));
  Tenant tenant;
  tenant.name = s.ColumnText(0);
  tenant.rate_per_second = s.ColumnDouble(1);
  tenant.burst = s.ColumnDouble(2);
  tenant.max_active = static_cast<int>(s.ColumnInt64(3));
  tenant.max_priority = static_cast<int>(s.ColumnInt64(4));
  return tenant;
}

Status SqliteJobStore::AddApiKey(std::string_view key_view, std::string_view tenant_view) {
  if (!IsSha256Hex(key_view)) return Status::InvalidArgument("an API key is stored as 64 lowercase hex digits of its SHA-256");
  if (tenant_view.empty()) return Status::InvalidArgument("an API key needs a tenant");
  return WriteAndWait([key = std::string(key_view), tenant = std::string(tenant_view),
                       created_ms = UnixMillis()](SqliteConnection& db) -> Status {
    {
      KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                            db.Prepare("INSERT INTO api_keys (key_sha256, tenant, created_ms) VALUES (?1, ?2, ?3) "
                                       "ON CONFLICT (key_sha256) DO NOTHING"));
      s.BindText(1, key);
      s.BindText(2, tenant);
      s.BindInt64(3, created_ms);
      KILN_RETURN_IF_ERROR(s.Run());
      if (db.Changes() == 1) return Status::Ok();
    }
    KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare("SELECT tenant FROM api_keys WHERE key_sha256 = ?1"));
    s.BindText(1, key);
    KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (row && s.ColumnText(0) == tenant) return Status::Ok();
    // The message does not name the other tenant: it is not the caller's to know.
    return Status(StatusCode::kAlreadyExists, "the API key already belongs to another tenant");
  });
}

StatusOr<std::string> SqliteJobStore::TenantForKey(std::string_view key_sha256_hex) {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, reader_db_->Prepare("SELECT tenant FROM api_keys WHERE key_sha256 = ?1"));
  s.BindText(1, key_sha256_hex);
  KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
  if (!row) return Status::NotFound("unknown API key");
  return s.ColumnText(0);
}

// --- webhooks --------------------------------------------------------------------

Status SqliteJobStore::AddAdminKey(std::string_view key_view) {
  if (!IsSha256Hex(key_view)) return Status::InvalidArgument("an admin key is stored as 64 lowercase hex digits of its SHA-256");
  return WriteAndWait([key = std::string(key_view), created_ms = UnixMillis()](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s, db.Prepare("INSERT INTO admin_keys (key_sha256, created_ms) VALUES (?1, ?2) "
                                                        "ON CONFLICT (key_sha256) DO NOTHING"));
    s.BindText(1, key);
    s.BindInt64(2, created_ms);
    return s.Run().WithContext("admin key");
  });
}

StatusOr<bool> SqliteJobStore::IsAdminKey(std::string_view key_view) {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s, reader_db_->Prepare("SELECT 1 FROM admin_keys WHERE key_sha256 = ?1"));
  s.BindText(1, key_view);
  return s.Step();
}

Status SqliteJobStore::RecordWebhookAttempt(const WebhookAttempt& attempt) {
  if (attempt.job_id.empty() || attempt.attempt < 1) {
    return Status::InvalidArgument("a webhook attempt needs a job id and an attempt number from 1");
  }
  return WriteAndWait([attempt](SqliteConnection& db) -> Status {
    KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                          db.Prepare("INSERT OR REPLACE INTO webhook_attempts (job_id, attempt, at_ms, http_status, "
                                     "error) VALUES (?1, ?2, ?3, ?4, ?5)"));
    s.BindText(1, attempt.job_id);
    s.BindInt64(2, attempt.attempt);
    s.BindInt64(3, attempt.at_ms);
    s.BindInt64(4, attempt.http_status);
    s.BindText(5, attempt.error);
    return s.Run().WithContext("webhook attempt of job " + attempt.job_id);
  });
}

StatusOr<std::vector<WebhookAttempt>> SqliteJobStore::WebhookAttempts(std::string_view job_id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  KILN_ASSIGN_OR_RETURN(SqliteStatement s,
                        reader_db_->Prepare("SELECT job_id, attempt, at_ms, http_status, error FROM webhook_attempts "
                                            "WHERE job_id = ?1 ORDER BY attempt"));
  s.BindText(1, job_id);
  std::vector<WebhookAttempt> attempts;
  for (;;) {
    KILN_ASSIGN_OR_RETURN(const bool row, s.Step());
    if (!row) break;
    WebhookAttempt a;
    a.job_id = s.ColumnText(0);
    a.attempt = static_cast<int>(s.ColumnInt64(1));
    a.at_ms = s.ColumnInt64(2);
    a.http_status = static_cast<int>(s.ColumnInt64(3));
    a.error = s.ColumnText(4);
    attempts.push_back(std::move(a));
  }
  return attempts;
}

}  // namespace kiln
