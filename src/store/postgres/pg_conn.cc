#include "store/postgres/pg_conn.h"

#include <charconv>
#include <cstring>
#include <utility>

namespace plumb::store::postgres {
namespace {

// The first line of a statement, short enough for an error message.
std::string_view Context(std::string_view sql) {
  sql = sql.substr(0, sql.find('\n'));
  return sql.substr(0, 72);
}

std::string TrimmedMessage(const char* message) {
  std::string msg = message != nullptr ? message : "";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

int64_t ParseInt(std::string_view text) {
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

std::string CompactJsonb(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c != ' ') {
      out += c;
      in_string = c == '"';
    }
  }
  return out;
}

void AppendCopyField(std::string& row, std::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    char escaped;
    switch (value[i]) {
      case '\\':
        escaped = '\\';
        break;
      case '\t':
        escaped = 't';
        break;
      case '\n':
        escaped = 'n';
        break;
      case '\r':
        escaped = 'r';
        break;
      default:
        continue;
    }
    row.append(value.substr(start, i - start));
    row += '\\';
    row += escaped;
    start = i + 1;
  }
  row.append(value.substr(start));
}

int64_t PgRow::Int(int col) const { return ParseInt(View(col)); }

int64_t PgResult::affected() const { return res_ ? ParseInt(PQcmdTuples(res_.get())) : 0; }

Params& Params::Add(std::string_view value) {
  if (error_.ok() && value.find('\0') != std::string_view::npos) {
    error_ = Status::InvalidArgument("text with a NUL byte cannot be stored");
  }
  values_.emplace_back(std::string(value));
  return *this;
}

Params& Params::Add(std::nullopt_t) {
  values_.emplace_back(std::nullopt);
  return *this;
}

Params& Params::AddText(std::string text) {
  values_.emplace_back(std::move(text));
  return *this;
}

std::vector<const char*> Params::Pointers() const {
  std::vector<const char*> pointers;
  pointers.reserve(values_.size());
  for (const auto& value : values_) pointers.push_back(value ? value->c_str() : nullptr);
  return pointers;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& url) {
  // client_encoding as a connection option (not a SET) survives PQreset.
  const char* keys[] = {"dbname", "client_encoding", nullptr};
  const char* values[] = {url.c_str(), "UTF8", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return Status::Internal("cannot connect to PostgreSQL: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status status =
        Status::Internal("cannot connect to PostgreSQL: " + TrimmedMessage(PQerrorMessage(conn)));
    PQfinish(conn);
    return status;
  }
  // Notices ("relation already exists, skipping") are not errors; libpq
  // would print them to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::Check(const PGresult* res, std::string_view sql) {
  const ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN) {
    last_sqlstate_.clear();
    last_constraint_.clear();
    return Status::Ok();
  }
  const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* constraint =
      res != nullptr ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  last_sqlstate_ = state != nullptr ? state : "";
  last_constraint_ = constraint != nullptr ? constraint : "";
  std::string msg =
      std::string(Context(sql)) + ": " +
      TrimmedMessage(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (last_sqlstate_ == kUniqueViolation) return Status::AlreadyExists(std::move(msg));
  // Class 22 (data exception) is a value the server cannot take: JSON with
  // \u0000 or a number beyond numeric's range, invalid UTF-8.
  if (last_sqlstate_.starts_with("22")) return Status::InvalidArgument(std::move(msg));
  return Status::Internal(std::move(msg));
}

Status PgConnection::Exec(std::string_view sql) {
  PgResult res(PQexec(conn_, std::string(sql).c_str()));
  return Check(res.get(), sql);
}

Result<PgResult> PgConnection::Query(std::string_view sql, const Params& params) {
  if (!params.error().ok()) return params.error();
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "plumb_" + std::to_string(prepared_.size());
    PgResult prepared(
        PQprepare(conn_, name.c_str(), std::string(sql).c_str(), params.size(), nullptr));
    PLUMB_RETURN_IF_ERROR(Check(prepared.get(), sql));
    it = prepared_.emplace(std::string(sql), std::move(name)).first;
  }
  const std::vector<const char*> values = params.Pointers();
  PgResult res(PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), nullptr,
                              nullptr, /*resultFormat=*/0));
  PLUMB_RETURN_IF_ERROR(Check(res.get(), sql));
  return res;
}

Status PgConnection::CopyStart(std::string_view copy_sql) {
  PgResult res(PQexec(conn_, std::string(copy_sql).c_str()));
  PLUMB_RETURN_IF_ERROR(Check(res.get(), copy_sql));
  if (PQresultStatus(res.get()) != PGRES_COPY_IN) {
    return Status::Internal(std::string(Context(copy_sql)) + ": not a COPY FROM STDIN");
  }
  return Status::Ok();
}

Status PgConnection::CopyPut(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) {
    return Status::Internal("COPY: " + TrimmedMessage(PQerrorMessage(conn_)));
  }
  return Status::Ok();
}

Status PgConnection::CopyEnd() {
  if (PQputCopyEnd(conn_, nullptr) != 1) {
    return Status::Internal("COPY: " + TrimmedMessage(PQerrorMessage(conn_)));
  }
  // The COPY's own result, then nothing: drain until libpq says so.
  PgResult res(PQgetResult(conn_));
  Status status = Check(res.get(), "COPY");
  while (PGresult* more = PQgetResult(conn_)) PQclear(more);
  return status;
}

void PgConnection::CopyAbort() {
  if (PQputCopyEnd(conn_, "abandoned by the client") == 1) {
    while (PGresult* res = PQgetResult(conn_)) PQclear(res);
  }
}

Status PgConnection::Refresh() {
  // A server that dropped the connection while it sat idle (a restart,
  // pg_terminate_backend) left its goodbye and EOF in the socket: reading them
  // marks the connection bad now rather than failing the next statement.
  if (PQstatus(conn_) == CONNECTION_OK) (void)PQconsumeInput(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    PQreset(conn_);
    prepared_.clear();  // they lived in the old server session
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Status::Internal("reconnecting to PostgreSQL failed: " +
                              TrimmedMessage(PQerrorMessage(conn_)));
    }
  }
  if (PQtransactionStatus(conn_) != PQTRANS_IDLE) return Exec("ROLLBACK");
  return Status::Ok();
}

ConnectionPool::Handle::~Handle() {
  if (conn_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(pool_->mu_);
    pool_->idle_.push_back(std::move(conn_));
  }
  pool_->cv_.notify_one();
}

Result<ConnectionPool::Handle> ConnectionPool::Acquire() {
  std::unique_ptr<PgConnection> conn;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (conn == nullptr) {
    auto connected = PgConnection::Connect(url_);
    if (!connected.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        --open_;
      }
      cv_.notify_one();
      return connected.status();
    }
    conn = std::move(connected).value();
  }
  Handle handle(this, std::move(conn));
  // A connection that cannot be refreshed goes back to the pool, to be
  // reconnected by a later call.
  PLUMB_RETURN_IF_ERROR(handle->Refresh());
  return handle;
}

}  // namespace plumb::store::postgres
