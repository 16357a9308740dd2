#pragma once
// A minimal HTTP/1.1 client for calls to outside services: one POST per
// connection, plain http:// only (this build has no TLS library), and one
// deadline for the whole exchange, so a slow or silent peer costs at most
// `timeout`. Results are values; nothing here throws.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace plumb::automation {

// The parts of an http:// URL a request needs.
struct HttpUrl {
  std::string host;         // as written, IPv6 literals without their brackets
  uint16_t port = 80;       // 80 when the URL names none
  std::string target;       // path and query, "/" when empty; the fragment is dropped
  std::string host_header;  // the Host header: host as written, ":port" when given
};

// Parses "http://host[:port][/path][?query][#fragment]". kInvalidArgument
// (message says what is wrong, no field) for: anything but the http scheme
// (https gets its own message: no TLS in this build), no host, a host with
// characters outside letters, digits, '-', '.', '_' (or a bracketed IPv6
// literal), a port that is not 1..65535, userinfo ("user@host"), whitespace,
// control or non-ASCII characters, or more than kMaxUrlLength bytes.
inline constexpr size_t kMaxUrlLength = 2048;
Result<HttpUrl> ParseHttpUrl(std::string_view url);

struct HttpOutcome {
  // The response's status code; 0 when there was none (bad URL, refused
  // header, resolve/connect/write/read error, timeout) and `error` says what.
  int32_t status = 0;
  std::string error;  // "" whenever status != 0
};

// POSTs `body` with Content-Type: application/json to `url` (see
// ParseHttpUrl; https is refused with an error saying so), adding `headers`
// (a header of the same name replaces the default; a name that is not an
// HTTP token or a value with CR, LF or NUL refuses the request). Resolve,
// connect, write and reading the response header all share one deadline of
// `timeout` from the call; the response body is not read and redirects are
// not followed. The connection is closed afterwards. Never throws;
// thread-safe (each call has its own io_context).
//
// One exception to the deadline: a hostname lookup that hangs inside
// getaddrinfo is abandoned at the deadline but the call returns only when the
// lookup does (bounded by the resolver's own timeouts).
HttpOutcome PostJson(const std::string& url,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, std::chrono::milliseconds timeout);

struct HttpResponse {
  int32_t status = 0;  // 0: no response, see error
  std::string error;   // "" whenever status != 0
  std::string body;    // the response body (any status)
};

// Like PostJson, but "GET" (no body sent) or "POST" (JSON body), and the
// response body is read too, up to max_body_bytes (over it: status 0 and an
// error saying so), all within the one deadline. Never throws; thread-safe.
HttpResponse SendHttp(std::string_view method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, std::chrono::milliseconds timeout,
                      size_t max_body_bytes);

}  // namespace plumb::automation
