#pragma once
// http: Plumb's HTTP front. A Beast/Asio HTTP/1.1 server (server.cc) owns
// sockets, limits, keep-alive and graceful shutdown; everything behind it is
// a plain function from Request to Reply (api.cc and the *_handlers.cc
// files), testable without sockets. Beast types never leave server.cc.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/core.h"
#include "store/store.h"

namespace plumb::automation {
class PredictionRunner;
}  // namespace plumb::automation

namespace plumb::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query, e.g. "/api/v1/projects/3"
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  // Set instead of `body` for streamed uploads (see IsUploadRoute): the body
  // was written to this temporary file, which the server deletes afterwards.
  std::string body_file;
  std::string remote_address;

  // A header's value, "" when absent. `name` must be lower-case.
  const std::string& Header(const std::string& name) const;
  // The first value of a query parameter, nullopt when absent.
  std::optional<std::string> Query(const std::string& name) const;
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is this file's content (streamed from disk); the file
  // is deleted after sending when delete_file is true.
  std::string file;
  bool delete_file = false;
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<Reply(const Request&)>;

// One file maps Status to HTTP (errors.cc): the status code and the JSON
// error body {"error": {"code", "message", "field"?, "line"?}}.
int HttpStatusFor(StatusCode code);
Reply ErrorReply(const Status& status);

// Metrics collected by the server and the API, rendered at /metrics.
class Metrics;
std::shared_ptr<Metrics> NewMetrics();

// The analytics' sums of settled days (docs/analytics.md), kept across calls.
class AnalyticsCache;
std::shared_ptr<AnalyticsCache> NewAnalyticsCache();

struct Services {
  store::Store* store = nullptr;
  const Clock* clock = nullptr;
  std::string web_root;    // built UI (web/dist); "" serves no UI
  std::string media_root;  // served under /media/ to signed-in users; "" for none
  std::shared_ptr<Metrics> metrics;
  // One per store; without it every analytics call reads its whole range.
  std::shared_ptr<AnalyticsCache> analytics_cache;
  bool secure_cookies = false;  // add "Secure" to the session cookie (behind TLS)
  std::string temp_dir = "/tmp";  // where uploads and exports are spooled
  // Called after a write that may have queued webhook deliveries (a submit,
  // a review decision), so the deliverer sends them now rather than at its
  // next poll. May be empty; must be thread-safe.
  std::function<void()> events_written;
  // Runs prediction jobs, health checks and train calls in the background
  // (docs/automation.md); handlers only enqueue. May be null (then jobs wait
  // for a server that runs one). Not owned.
  automation::PredictionRunner* ml_runner = nullptr;
};

// The application: every route of docs/api.md plus /healthz, /metrics, the
// UI and media. Records each request in services.metrics. Thread-safe.
Reply HandleRequest(const Services& services, const Request& request);

// True when the server must stream this request's body to a temporary file
// (task imports) rather than hold it in memory.
bool IsUploadRoute(const std::string& method, const std::string& path);

// Checks an upload's caller (authentication, role, project access) from its
// headers alone, so the server refuses a stranger's upload before reading a
// byte of its body. OK, or the error to reply with.
Status CheckUpload(const Services& services, const Request& request);

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8080;
  int io_threads = 2;
  // Handlers block on the database (a commit waits for fsync); enough of them
  // lets the store batch concurrent commits into one sync. 48 measured best
  // for 64 annotators on two cores (bench/README.md); 16 did 20% fewer.
  int worker_threads = 48;
  uint64_t max_body_bytes = 1 << 20;             // JSON API bodies
  uint64_t max_upload_bytes = 2ull << 30;         // streamed imports
  int idle_timeout_seconds = 60;
};

// Serves until SIGINT or SIGTERM, then stops accepting, lets in-flight
// requests finish, and returns. `on_listening` is called with the bound port
// (useful with port 0). kInternal when the address cannot be bound.
Status RunServer(const ServerOptions& options, const Services& services,
                 const std::function<void(uint16_t)>& on_listening = {});

// Argon2id password hashing (libsodium). Thread-safe.
Result<std::string> HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);
// A random URL-safe secret for sessions and tokens, and the hash it is stored by.
std::string NewSecret();
std::string HashSecret(const std::string& secret);
// 32 random bytes as 64 lowercase hex digits: the secrets that sign webhook
// deliveries and batch callbacks, which receivers paste into their config.
std::string NewHexSecret();

}  // namespace plumb::http
