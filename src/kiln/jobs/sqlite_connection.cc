#include "kiln/jobs/sqlite_connection.h"

#include <sqlite3.h>

namespace kiln {

Status SqliteError(int code, std::string_view what, std::string_view detail) {
  std::string message = std::string(what) + ": " + std::string(detail) + " (sqlite code " +
                        std::to_string(code) + ")";
  switch (code & 0xff) {  // the primary code; extended codes keep it in the low byte
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::Unavailable(std::move(message));
    case SQLITE_FULL: return Status::ResourceExhausted(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::DataLoss(std::move(message));
    case SQLITE_CONSTRAINT: return Status(StatusCode::kAlreadyExists, std::move(message));
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR: return Status::IOError(std::move(message));
    default: return Status::Internal(std::move(message));
  }
}

// --- SqliteStatement -----------------------------------------------------------

SqliteStatement::SqliteStatement(SqliteStatement&& other) noexcept
    : stmt_(other.stmt_), context_(other.context_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

SqliteStatement::~SqliteStatement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void SqliteStatement::BindInt64(int index, int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void SqliteStatement::BindDouble(int index, double value) {
  const int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

void SqliteStatement::BindText(int index, std::string_view value) {
  // A null pointer would bind SQL NULL; an empty string_view may carry one.
  const char* data = value.data() != nullptr ? value.data() : "";
  const int rc = sqlite3_bind_text64(stmt_, index, data, value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

StatusOr<bool> SqliteStatement::Step() {
  if (bind_error_ != 0) {
    return SqliteError(bind_error_, *context_ + ": bind of " + sqlite3_sql(stmt_), sqlite3_errstr(bind_error_));
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(rc, *context_ + ": " + sqlite3_sql(stmt_), sqlite3_errmsg(sqlite3_db_handle(stmt_)));
}

Status SqliteStatement::Run() {
  for (;;) {
    KILN_ASSIGN_OR_RETURN(const bool row, Step());
    if (!row) return Status::Ok();
  }
}

int64_t SqliteStatement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

double SqliteStatement::ColumnDouble(int column) const { return sqlite3_column_double(stmt_, column); }

std::string SqliteStatement::ColumnText(int column) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (text == nullptr) return std::string();
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

// --- SqliteConnection ----------------------------------------------------------

StatusOr<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path, bool create,
                                                                   int busy_timeout_ms) {
  // NOMUTEX: each connection is used by one thread at a time (see the header),
  // so SQLite's own per-connection mutex would only cost time.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteError(rc, "cannot open job database " + path,
                                db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<SqliteConnection>(new SqliteConnection(db, path));
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SqliteConnection::Exec(const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  Status status = SqliteError(rc, path_ + ": " + sql, error != nullptr ? error : sqlite3_errmsg(db_));
  sqlite3_free(error);
  return status;
}

StatusOr<std::string> SqliteConnection::QueryText(const std::string& sql) {
  KILN_ASSIGN_OR_RETURN(SqliteStatement statement, Prepare(sql));
  KILN_ASSIGN_OR_RETURN(const bool row, statement.Step());
  if (!row) return Status::Internal(path_ + ": " + sql + " returned no row");
  return statement.ColumnText(0);
}

StatusOr<SqliteStatement> SqliteConnection::Prepare(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(rc, path_ + ": cannot prepare " + sql, sqlite3_errmsg(db_));
    it = statements_.emplace(sql, stmt).first;
  }
  return SqliteStatement(it->second, &path_);
}

int64_t SqliteConnection::Changes() const { return sqlite3_changes64(db_); }

bool SqliteConnection::InAutocommit() const { return sqlite3_get_autocommit(db_) != 0; }

}  // namespace kiln
