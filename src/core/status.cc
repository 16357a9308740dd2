#include "core/status.h"

namespace plumb {

Status Status::WithLine(int64_t line) const {
  Status s = *this;
  s.line_ = line;
  s.message_ = "line " + std::to_string(line) + ": " + message_;
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kUnauthenticated: return "unauthenticated";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kLeaseExpired: return "lease_expired";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kPayloadTooLarge: return "payload_too_large";
    case StatusCode::kUnsupportedMediaType: return "unsupported_media_type";
    case StatusCode::kInvalidResult: return "invalid_result";
    case StatusCode::kInstructionsNotAcknowledged: return "instructions_not_acknowledged";
    case StatusCode::kNotQualified: return "not_qualified";
    case StatusCode::kLabelerPaused: return "labeler_paused";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace plumb
