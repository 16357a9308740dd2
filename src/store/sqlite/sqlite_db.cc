#include "store/sqlite/sqlite_db.h"

#include <cassert>
#include <mutex>
#include <utility>

namespace plumb::store::sqlite {

namespace {

// Debian's SQLite keeps memory statistics, which puts one process-wide
// mutex around every sqlite3_malloc and sqlite3_free (and it is built
// without lookaside, so each statement step allocates): with dozens of
// connections busy at once, a fifth of a loaded server's futex calls were
// that mutex. Nothing here reads those statistics. Must run before SQLite
// initializes; if something initialized it earlier the call is refused and
// the statistics just stay on.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Status SqliteError(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  // The connection's message belongs to its most recent call; fall back to
  // the generic text when the handle is gone or the codes disagree.
  if (db != nullptr && (sqlite3_extended_errcode(db) == rc || sqlite3_errcode(db) == rc)) {
    msg += sqlite3_errmsg(db);
  } else {
    msg += sqlite3_errstr(rc);
  }
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return Status::AlreadyExists(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

Statement::~Statement() { Release(); }

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      owned_(other.owned_),
      next_param_(other.next_param_),
      bind_rc_(other.bind_rc_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    owned_ = other.owned_;
    next_param_ = other.next_param_;
    bind_rc_ = other.bind_rc_;
  }
  return *this;
}

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    Reset();
  }
  stmt_ = nullptr;
}

void Statement::Reset() {
  // sqlite3_reset repeats the last step's error code, which the caller has
  // already seen; resetting itself cannot fail.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  next_param_ = 1;
  bind_rc_ = SQLITE_OK;
}

Statement& Statement::BindInt64(int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, next_param_++, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(double value) {
  int rc = sqlite3_bind_double(stmt_, next_param_++, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the text, so callers may pass temporaries.
  int rc = sqlite3_bind_text64(stmt_, next_param_++, value.data(), value.size(), SQLITE_TRANSIENT,
                               SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::BindBlob(std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, next_param_++, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::Bind(std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, next_param_++);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) return SqliteError(db_, bind_rc_, "bind");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, sqlite3_extended_errcode(db_), sqlite3_sql(stmt_));
}

Status Statement::Run() {
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

std::string Statement::Text(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt_, col));
}

std::string Statement::Blob(int col) const {
  const void* data = sqlite3_column_blob(stmt_, col);
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, col));
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, Mode mode) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |=
      mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status status = SqliteError(db, rc, "open " + path);
    sqlite3_close_v2(db);
    return status;
  }
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Connection::Exec(std::string_view sql) {
  std::string text(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  return Status::Internal(text.substr(0, 60) + ": " + msg);
}

Status Connection::Run(std::string_view sql) {
  PLUMB_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  return stmt.Run();
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !sqlite3_stmt_busy(it->second)) {
    return Statement(db_, it->second, /*owned=*/false);
  }
  sqlite3_stmt* stmt = nullptr;
  // PERSISTENT tells SQLite the statement lives long, so it keeps it out of
  // its lookaside memory meant for short-lived allocations.
  unsigned prep_flags = it == cache_.end() ? SQLITE_PREPARE_PERSISTENT : 0;
  int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare");
  if (it != cache_.end()) return Statement(db_, stmt, /*owned=*/true);
  cache_.emplace(std::string(sql), stmt);
  return Statement(db_, stmt, /*owned=*/false);
}

Result<std::string> Connection::QueryText(std::string_view sql) {
  PLUMB_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
  PLUMB_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::string();
  return stmt.Text(0);
}

Result<Transaction> Transaction::Begin(Connection& conn, Kind kind) {
  PLUMB_RETURN_IF_ERROR(conn.Run(kind == Kind::kImmediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  // A failed ROLLBACK leaves nothing to undo: SQLite has then already rolled
  // the transaction back itself (e.g. after an I/O error).
  (void)conn_->Run("ROLLBACK");
}

Status Transaction::Commit() {
  assert(conn_ != nullptr);
  Status status = conn_->Run("COMMIT");
  if (!status.ok()) return status;  // the destructor rolls back
  conn_ = nullptr;
  return Status::Ok();
}

}  // namespace plumb::store::sqlite
