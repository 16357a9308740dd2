#pragma once
// A thin RAII layer over the SQLite C API, used only by the SQLite store:
// connections that cache their prepared statements, statements that reset
// themselves when the borrower is done, and transactions that roll back
// unless committed. SQLite failures become Status values; nothing throws.
//
// A Connection and the Statements borrowed from it belong to one thread at a
// time; the store's mutex and reader pool ensure that.

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include "core/status.h"

namespace plumb::store::sqlite {

// kAlreadyExists for UNIQUE/PRIMARY KEY violations, kInternal for the rest,
// with SQLite's message.
Status SqliteError(sqlite3* db, int rc, std::string_view context);

// A prepared statement borrowed from a Connection's cache. Parameters are bound
// by position, in call order. Destruction (or Reset()) resets the statement and
// clears its bindings so the cache can hand it out again. Move-only.
class Statement {
 public:
  Statement() = default;
  // `owned` statements are finalized instead of returned to the cache.
  Statement(sqlite3* db, sqlite3_stmt* stmt, bool owned) : db_(db), stmt_(stmt), owned_(owned) {}
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  template <std::integral T>
  Statement& Bind(T value) {
    return BindInt64(static_cast<int64_t>(value));
  }
  template <typename E>
  requires std::is_enum_v<E> Statement& Bind(E value) {
    return BindInt64(static_cast<int64_t>(value));
  }
  Statement& Bind(std::string_view value);
  Statement& Bind(double value);
  Statement& Bind(const std::string& value) { return Bind(std::string_view(value)); }
  Statement& Bind(const char* value) { return Bind(std::string_view(value)); }
  Statement& Bind(std::nullopt_t);
  // Bytes as a BLOB (Bind gives TEXT).
  Statement& BindBlob(std::string_view bytes);
  template <typename T>
  Statement& Bind(const std::optional<T>& value) {
    return value ? Bind(*value) : Bind(std::nullopt);
  }
  template <typename... Args>
  Statement& BindAll(const Args&... args) {
    (Bind(args), ...);
    return *this;
  }

  // Steps once: true when a row is ready, false when the statement is done.
  Result<bool> Step();
  // Steps to completion, ignoring any rows.
  Status Run();
  // Resets for another execution with fresh bindings.
  void Reset();

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  // A REAL column as stored (reading it as text would round it to 15 digits).
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<int64_t> OptionalInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  // NULL reads as "".
  std::string Text(int col) const;
  // A BLOB column's bytes; NULL reads as "".
  std::string Blob(int col) const;
  // A JSON column: SQLite keeps the text verbatim.
  std::string Json(int col) const { return Text(col); }

 private:
  Statement& BindInt64(int64_t value);
  void Release();

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_ = false;
  int next_param_ = 1;
  // The first bind failure; reported by the next Step() rather than at each
  // Bind so that binding can be chained.
  int bind_rc_ = SQLITE_OK;
};

class Connection {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens `path` (creating it in kReadWrite mode). The connection runs in
  // SQLite's multi-thread mode: the owner serializes its use.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, Mode mode);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL without parameters; may hold several statements.
  Status Exec(std::string_view sql);
  // Runs one statement without parameters from the statement cache, which
  // saves the parse that Exec pays on every call (transaction control runs
  // several times per write).
  Status Run(std::string_view sql);

  // The cached statement for `sql`, prepared on first use. If that statement is
  // already borrowed and still running, a one-off statement is prepared instead.
  Result<Statement> Prepare(std::string_view sql);
  // Runs a pragma (or any statement) that yields one text value.
  Result<std::string> QueryText(std::string_view sql);

  sqlite3* handle() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*, StringHash, std::equal_to<>> cache_;
};

// BEGIN on creation, ROLLBACK on destruction unless Commit() succeeded.
class Transaction {
 public:
  enum class Kind {
    kRead,       // BEGIN (deferred): a consistent snapshot for several reads
    kImmediate,  // BEGIN IMMEDIATE: takes the database's write lock up front
  };
  static Result<Transaction> Begin(Connection& conn, Kind kind);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;

  Status Commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once finished
};

}  // namespace plumb::store::sqlite
