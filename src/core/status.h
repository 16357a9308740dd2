#pragma once
// Status and Result<T>: expected outcomes as values (leveldb's Status).
// A Status is OK or carries a code, a message, and optionally the field or
// the input line it is about. Copyable, cheap when OK.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace plumb {

enum class StatusCode : int8_t {
  kOk = 0,
  kInvalidArgument,      // bad input: malformed JSON, bad schema, bad import line
  kUnauthenticated,      // no or bad credentials
  kPermissionDenied,     // role or project access does not allow it
  kNotFound,
  kConflict,             // state does not allow it (lease not held, ...)
  kLeaseExpired,         // the caller's lease ran out
  kAlreadyExists,        // unique name taken
  kPayloadTooLarge,
  kUnsupportedMediaType,
  kInvalidResult,        // an annotation result that does not fit the schema
  kInstructionsNotAcknowledged,  // the project's current instructions need the caller's ack
  kNotQualified,                 // the project requires a passed qualification test
  kLabelerPaused,                // the caller is paused from the project (ongoing checks)
  kInternal,             // a bug or an environment failure (I/O, database)
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg, std::string field = {}) {
    return Status(StatusCode::kInvalidArgument, std::move(msg), std::move(field));
  }
  static Status Unauthenticated(std::string msg) {
    return Status(StatusCode::kUnauthenticated, std::move(msg));
  }
  static Status PermissionDenied(std::string msg) {
    return Status(StatusCode::kPermissionDenied, std::move(msg));
  }
  static Status NotFound(std::string msg, std::string field = {}) {
    return Status(StatusCode::kNotFound, std::move(msg), std::move(field));
  }
  static Status Conflict(std::string msg) { return Status(StatusCode::kConflict, std::move(msg)); }
  static Status LeaseExpired(std::string msg) {
    return Status(StatusCode::kLeaseExpired, std::move(msg));
  }
  static Status AlreadyExists(std::string msg, std::string field = {}) {
    return Status(StatusCode::kAlreadyExists, std::move(msg), std::move(field));
  }
  static Status PayloadTooLarge(std::string msg) {
    return Status(StatusCode::kPayloadTooLarge, std::move(msg));
  }
  static Status UnsupportedMediaType(std::string msg) {
    return Status(StatusCode::kUnsupportedMediaType, std::move(msg));
  }
  static Status InvalidResult(std::string msg, std::string field = {}) {
    return Status(StatusCode::kInvalidResult, std::move(msg), std::move(field));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }
  // The caller must acknowledge instructions version `version` first (docs/instructions.md).
  static Status NotQualified(std::string msg) {
    return Status(StatusCode::kNotQualified, std::move(msg));
  }
  static Status LabelerPaused(std::string msg) {
    return Status(StatusCode::kLabelerPaused, std::move(msg));
  }
  static Status InstructionsNotAcknowledged(std::string msg, int64_t version) {
    Status s(StatusCode::kInstructionsNotAcknowledged, std::move(msg));
    s.version_ = version;
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  // 1-based line of the input the error is about, 0 when none.
  int64_t line() const { return line_; }
  // The instructions version a kInstructionsNotAcknowledged status asks for, 0 otherwise.
  int64_t version() const { return version_; }

  // Returns a copy that names the input line; the message is prefixed "line N: ".
  Status WithLine(int64_t line) const;

  // "CODE: message" for logs and test failure output.
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg, std::string field = {})
      : code_(code), message_(std::move(msg)), field_(std::move(field)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
  int64_t line_ = 0;
  int64_t version_ = 0;
};

// The snake_case name used in API error bodies, e.g. "invalid_argument".
const char* StatusCodeName(StatusCode code);

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be OK

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace plumb

#define PLUMB_CONCAT_INNER_(a, b) a##b
#define PLUMB_CONCAT_(a, b) PLUMB_CONCAT_INNER_(a, b)

#define PLUMB_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    ::plumb::Status plumb_status_ = (expr);         \
    if (!plumb_status_.ok()) return plumb_status_;  \
  } while (0)

#define PLUMB_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#define PLUMB_ASSIGN_OR_RETURN(lhs, expr) \
  PLUMB_ASSIGN_OR_RETURN_IMPL_(PLUMB_CONCAT_(plumb_result_, __LINE__), lhs, expr)
