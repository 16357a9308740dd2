#pragma once
// Runs the real `plumb` binary for API tests: a temporary database made with
// `plumb init`, then `plumb serve` on a free loopback port.

#include <sys/types.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "http_client.h"

namespace plumb::test {

// Runs `plumb ARGS...` with extra environment entries and waits. Returns the
// exit code; stdout and stderr are captured into `output`.
int RunPlumb(const std::vector<std::string>& args, const std::vector<std::string>& env,
             std::string* output = nullptr);

// The store backends a test can run on.
enum class Backend { kSqlite, kPostgres };
inline const char* BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "Sqlite" : "Postgres";
}
// How GoogleTest prints a Backend parameter.
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }

// A fresh, empty database of a backend, dropped with the object: a database
// in the test PostgreSQL cluster, or "" for SQLite (ServerProcess then makes
// a file in its own temp dir).
class TestDatabase {
 public:
  explicit TestDatabase(Backend backend);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;
  const std::string& location() const { return location_; }

 private:
  std::string location_;
};

struct ServerConfig {
  std::vector<std::string> serve_args{};  // added to `plumb serve`
  // The --db location; "" makes a new SQLite file in the server's temp dir.
  std::string db{};
  // Run `plumb init` (the admin user) on the database first; false for a
  // second server on a database another one set up.
  bool init = true;
};

class ServerProcess {
 public:
  static constexpr const char* kAdminPassword = "admin-pass-1";

  // Creates a temp dir (for the log and, by default, the database) and runs
  // `plumb init`.
  explicit ServerProcess(ServerConfig config);
  explicit ServerProcess(std::vector<std::string> serve_args = {})
      : ServerProcess(ServerConfig{.serve_args = std::move(serve_args)}) {}
  ~ServerProcess();

  // Starts the server and waits until /healthz answers. False on failure.
  bool Start();
  // Sends `signal` and waits for the exit; returns the exit code (or
  // 128+signal). Stop(0) only waits.
  int Stop(int signal);
  // Sends `signal` without waiting; returns kill()'s result.
  int Signal(int signal) const;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& db_path() const { return db_; }  // the --db location
  std::string log() const;  // what the server printed so far
  const std::string& dir() const { return dir_; }

  HttpResponse Send(const HttpRequest& request) const { return test::Send(port_, request); }

 private:
  std::vector<std::string> serve_args_;
  std::string dir_;
  std::string db_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

// A client with a session or a token, for brevity in tests.
class Client {
 public:
  Client(const ServerProcess& server, std::string auth_header)
      : server_(server), auth_(std::move(auth_header)) {}
  // Signs in with username and password; the returned client carries the
  // session cookie. status() of the login reply is in login_status.
  static Client Login(const ServerProcess& server, const std::string& username,
                      const std::string& password, int* login_status = nullptr);

  HttpResponse Get(const std::string& target) const;
  HttpResponse Post(const std::string& target, const std::string& body,
                    const std::string& content_type = "application/json",
                    const std::map<std::string, std::string>& extra = {}) const;
  HttpResponse Patch(const std::string& target, const std::string& body) const;
  HttpResponse Delete(const std::string& target) const;
  // The "name=value" session cookie, "" for a token client.
  std::string cookie() const;

 private:
  HttpResponse Do(HttpRequest request) const;
  const ServerProcess& server_;
  std::string auth_;  // "Cookie: ..." or "Authorization: ..." value pair, joined by '\n'
};

}  // namespace plumb::test
