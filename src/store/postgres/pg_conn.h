#pragma once
// A thin RAII layer over libpq, used only by the PostgreSQL store: results
// that free themselves, connections that prepare each distinct statement once
// and bind every value as a parameter, COPY FROM STDIN, and a pool that hands
// out healthy connections (reconnecting ones the server dropped). libpq
// failures become Status values; nothing throws.
//
// A PgConnection belongs to one thread at a time; the pool ensures that.

#include <libpq-fe.h>

#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace plumb::store::postgres {

// SQLSTATE codes the store reacts to.
inline constexpr std::string_view kUniqueViolation = "23505";
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kDeadlockDetected = "40P01";

// jsonb's text form ({"a": 1, "b": [2, 3]}) without the blanks it puts
// between tokens; the Store hands out compact JSON.
std::string CompactJsonb(std::string_view text);

// Appends `value` to a COPY text-format row, escaping what that format
// reserves (backslash, tab, newline, carriage return).
void AppendCopyField(std::string& row, std::string_view value);

// One row of a PgResult. Values are libpq's text format.
class PgRow {
 public:
  PgRow(const PGresult* res, int row) : res_(res), row_(row) {}
  bool IsNull(int col) const { return PQgetisnull(res_, row_, col) != 0; }
  int64_t Int(int col) const;  // NULL reads as 0
  std::optional<int64_t> OptionalInt(int col) const {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }
  std::string_view View(int col) const {
    return {PQgetvalue(res_, row_, col), static_cast<size_t>(PQgetlength(res_, row_, col))};
  }
  std::string Text(int col) const { return std::string(View(col)); }   // NULL reads as ""
  std::string Json(int col) const { return CompactJsonb(View(col)); }  // NULL reads as ""

 private:
  const PGresult* res_;
  int row_;
};

class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* res) : res_(res) {}
  int rows() const { return res_ ? PQntuples(res_.get()) : 0; }
  int columns() const { return res_ ? PQnfields(res_.get()) : 0; }
  bool empty() const { return rows() == 0; }
  PgRow row(int i) const { return PgRow(res_.get(), i); }
  PgRow front() const { return row(0); }
  // The number of rows an INSERT/UPDATE/DELETE touched.
  int64_t affected() const;
  const PGresult* get() const { return res_.get(); }

 private:
  struct Clear {
    void operator()(PGresult* res) const { PQclear(res); }
  };
  std::unique_ptr<PGresult, Clear> res_;
};

// The parameters of one statement in libpq's text format; nullopt is NULL.
class Params {
 public:
  template <std::integral T>
  Params& Add(T value) {
    return AddText(std::to_string(static_cast<int64_t>(value)));
  }
  template <typename E>
  requires std::is_enum_v<E> Params& Add(E value) {
    return AddText(std::to_string(static_cast<int64_t>(value)));
  }
  // PostgreSQL text cannot hold a NUL byte; such a value fails the statement
  // with kInvalidArgument rather than being cut short.
  Params& Add(std::string_view value);
  Params& Add(const std::string& value) { return Add(std::string_view(value)); }
  Params& Add(const char* value) { return Add(std::string_view(value)); }
  Params& Add(std::nullopt_t);
  template <typename T>
  Params& Add(const std::optional<T>& value) {
    return value ? Add(*value) : Add(std::nullopt);
  }

  int size() const { return static_cast<int>(values_.size()); }
  const Status& error() const { return error_; }
  // Pointers for libpq, valid while this object is unchanged.
  std::vector<const char*> Pointers() const;

 private:
  Params& AddText(std::string text);

  std::vector<std::optional<std::string>> values_;
  Status error_;
};

class PgConnection {
 public:
  // kInternal with libpq's message when the server cannot be reached.
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs SQL without parameters (may hold several statements).
  Status Exec(std::string_view sql);
  // Runs one statement with bound parameters, prepared once per connection.
  Result<PgResult> Query(std::string_view sql, const Params& params);
  template <typename... Args>
  Result<PgResult> Query(std::string_view sql, const Args&... args) {
    Params params;
    (params.Add(args), ...);
    return Query(sql, params);
  }

  // COPY ... FROM STDIN: Start with the COPY statement, Put rows in the
  // format it names, End to finish (and learn whether the server took them).
  // Abort fails the COPY on purpose, leaving the transaction aborted.
  Status CopyStart(std::string_view copy_sql);
  Status CopyPut(std::string_view data);
  Status CopyEnd();
  void CopyAbort();

  // True once the connection to the server is lost.
  bool broken() const { return PQstatus(conn_) == CONNECTION_BAD; }
  // True inside a transaction that a failed command aborted. A COMMIT there
  // "succeeds" as a ROLLBACK, so callers check this before committing.
  bool transaction_failed() const { return PQtransactionStatus(conn_) == PQTRANS_INERROR; }
  // The SQLSTATE of the last command if it failed, "" if it succeeded.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // The constraint the last command violated, if any.
  const std::string& last_constraint() const { return last_constraint_; }

  // Makes the connection fit for a new call: notices a connection the server
  // closed while it sat idle, reconnects a lost one (kInternal if that
  // fails), and rolls back a transaction left open.
  Status Refresh();

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  // OK for a successful `res`; otherwise the failure as a Status, recorded
  // in last_sqlstate_ and last_constraint_.
  Status Check(const PGresult* res, std::string_view sql);

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  PGconn* conn_;
  // SQL → the name it is prepared under in this server session.
  std::unordered_map<std::string, std::string, StringHash, std::equal_to<>> prepared_;
  std::string last_sqlstate_;
  std::string last_constraint_;
};

// Up to `size` connections to one database, opened as needed. Thread-safe.
class ConnectionPool {
 public:
  ConnectionPool(std::string url, int size) : url_(std::move(url)), size_(size) {}

  // A connection borrowed from the pool and returned on destruction.
  class Handle {
   public:
    Handle(ConnectionPool* pool, std::unique_ptr<PgConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Handle(Handle&&) = default;
    Handle& operator=(Handle&&) = delete;
    ~Handle();
    PgConnection& operator*() const { return *conn_; }
    PgConnection* operator->() const { return conn_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  // Waits for a free connection (or opens one), refreshed for use.
  // kInternal when the server cannot be reached.
  Result<Handle> Acquire();

 private:
  const std::string url_;
  const int size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle and borrowed
};

}  // namespace plumb::store::postgres
