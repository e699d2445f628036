// SqliteConnection: one sqlite3 handle with Status errors and a cache of
// prepared statements (each SQL text is compiled once per connection).
//
// Not thread-safe: a connection belongs to one thread at a time (the store's
// writer thread, or whoever holds the store's read lock). Internal to jobs/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "kiln/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace kiln {

// A cached prepared statement on loan: bind, step, read columns. Returned to
// the cache (reset, bindings cleared) when the loan ends, so one SQL text is
// never stepped by two callers at once as long as loans do not nest on the
// same text.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&&) = delete;
  SqliteStatement(const SqliteStatement&) = delete;
  ~SqliteStatement();

  // 1-based parameter index. A bind error is kept and returned by Step.
  void BindInt64(int index, int64_t value);
  void BindDouble(int index, double value);
  // The text must stay alive until the loan ends (bound without a copy).
  void BindText(int index, std::string_view value);

  // True when a row is ready to read, false when the statement is done.
  StatusOr<bool> Step();
  // Steps to completion (for statements that return no rows).
  Status Run();

  // 0-based column index.
  int64_t ColumnInt64(int column) const;
  double ColumnDouble(int column) const;
  std::string ColumnText(int column) const;

 private:
  friend class SqliteConnection;
  SqliteStatement(sqlite3_stmt* stmt, const std::string* context) : stmt_(stmt), context_(context) {}
  sqlite3_stmt* stmt_;
  const std::string* context_;  // the connection's path, for error messages
  int bind_error_ = 0;
};

class SqliteConnection {
 public:
  // Opens (creating when create is set) the database file at path, with the
  // busy timeout applied so a locked database waits instead of failing.
  static StatusOr<std::unique_ptr<SqliteConnection>> Open(const std::string& path, bool create,
                                                          int busy_timeout_ms);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs one or more statements whose rows, if any, are ignored.
  Status Exec(const std::string& sql);
  // The first column of the first row of a one-statement query, as text.
  StatusOr<std::string> QueryText(const std::string& sql);
  StatusOr<SqliteStatement> Prepare(const std::string& sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // False while a transaction is open. SQLite rolls a transaction back on
  // its own after some errors (I/O, disk full); this tells the caller so.
  bool InAutocommit() const;
  const std::string& path() const { return path_; }

 private:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  const std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

// The Status for an SQLite result code: BUSY/LOCKED are Unavailable (retry),
// FULL is ResourceExhausted, CORRUPT/NOTADB are DataLoss, CONSTRAINT is
// AlreadyExists, anything else Internal. The message names what was done.
Status SqliteError(int code, std::string_view what, std::string_view detail);

}  // namespace kiln
