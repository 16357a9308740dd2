// The one place that maps Status codes to HTTP statuses and error bodies.

#include <nlohmann/json.hpp>

#include "http/http.h"

namespace plumb::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kConflict: return 409;
    case StatusCode::kLeaseExpired: return 409;
    case StatusCode::kAlreadyExists: return 409;
    case StatusCode::kPayloadTooLarge: return 413;
    case StatusCode::kUnsupportedMediaType: return 415;
    case StatusCode::kInvalidResult: return 422;
    case StatusCode::kInstructionsNotAcknowledged: return 409;
    case StatusCode::kNotQualified: return 403;
    case StatusCode::kLabelerPaused: return 403;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Reply ErrorReply(const Status& status) {
  nlohmann::json error = {{"code", StatusCodeName(status.code())},
                          {"message", status.message()}};
  if (!status.field().empty()) error["field"] = status.field();
  if (status.line() > 0) error["line"] = status.line();
  if (status.code() == StatusCode::kInstructionsNotAcknowledged) error["version"] = status.version();
  Reply reply;
  reply.status = HttpStatusFor(status.code());
  reply.body = nlohmann::json{{"error", error}}.dump();
  return reply;
}

}  // namespace plumb::http
