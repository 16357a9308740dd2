#include "server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "store/postgres/pg_test_db.h"

namespace plumb::test {
namespace {

// Spawns plumb with stdout/stderr to `out_fd`; returns the pid.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            int out_fd) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(PLUMB_BINARY));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(PLUMB_BINARY, argv.data());
  ::_exit(127);
}

std::string ReadAll(const std::string& path) {
  std::string out;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

}  // namespace

int RunPlumb(const std::vector<std::string>& args, const std::vector<std::string>& env,
             std::string* output) {
  char tmpl[] = "/tmp/plumb-run-XXXXXX";
  int fd = ::mkstemp(tmpl);
  pid_t pid = Spawn(args, env, fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(fd);
  if (output) *output = ReadAll(tmpl);
  ::unlink(tmpl);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TestDatabase::TestDatabase(Backend backend)
    : location_(backend == Backend::kPostgres ? store::CreateTestDatabase() : "") {}

TestDatabase::~TestDatabase() {
  if (!location_.empty()) store::DropTestDatabase(location_);
}

ServerProcess::ServerProcess(ServerConfig config) : serve_args_(std::move(config.serve_args)) {
  char tmpl[] = "/tmp/plumb-test-XXXXXX";
  dir_ = ::mkdtemp(tmpl);
  db_ = config.db.empty() ? dir_ + "/plumb.db" : config.db;
  if (config.init) {
    RunPlumb({"init", "--db", db_}, {std::string("PLUMB_ADMIN_PASSWORD=") + kAdminPassword});
  }
}

std::string ServerProcess::log() const { return ReadAll(dir_ + "/server.log"); }

ServerProcess::~ServerProcess() {
  if (pid_ > 0) Stop(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool ServerProcess::Start() {
  std::string log = dir_ + "/server.log";
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> args = {"serve", "--db", db_, "--listen", "127.0.0.1:0"};
  args.insert(args.end(), serve_args_.begin(), serve_args_.end());
  pid_ = Spawn(args, {}, fd);
  ::close(fd);
  // The server prints "listening on http://127.0.0.1:PORT" once bound.
  const std::string marker = "listening on http://127.0.0.1:";
  for (int i = 0; i < 200; ++i) {
    std::string out = ReadAll(log);
    size_t pos = out.find(marker);
    if (pos != std::string::npos && out.find('\n', pos) != std::string::npos) {
      port_ = static_cast<uint16_t>(std::stoi(out.substr(pos + marker.size())));
      HttpRequest health;
      health.target = "/healthz";
      if (test::Send(port_, health).status == 200) return true;
    }
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

int ServerProcess::Signal(int signal) const { return pid_ > 0 ? ::kill(pid_, signal) : -1; }

int ServerProcess::Stop(int signal) {
  if (pid_ <= 0) return -1;
  if (signal != 0) ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Client Client::Login(const ServerProcess& server, const std::string& username,
                     const std::string& password, int* login_status) {
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/auth/login";
  req.headers["Content-Type"] = "application/json";
  req.body = R"({"username":")" + username + R"(","password":")" + password + R"("})";
  HttpResponse res = server.Send(req);
  if (login_status) *login_status = res.status;
  std::string cookie = res.headers["set-cookie"];
  cookie = cookie.substr(0, cookie.find(';'));
  return Client(server, "Cookie\n" + cookie);
}

HttpResponse Client::Do(HttpRequest request) const {
  size_t nl = auth_.find('\n');
  if (nl != std::string::npos && nl + 1 < auth_.size()) {
    request.headers[auth_.substr(0, nl)] = auth_.substr(nl + 1);
  }
  return server_.Send(request);
}

std::string Client::cookie() const {
  return auth_.rfind("Cookie\n", 0) == 0 ? auth_.substr(7) : "";
}

HttpResponse Client::Get(const std::string& target) const {
  HttpRequest req;
  req.target = target;
  return Do(req);
}

HttpResponse Client::Post(const std::string& target, const std::string& body,
                          const std::string& content_type,
                          const std::map<std::string, std::string>& extra) const {
  HttpRequest req;
  req.method = "POST";
  req.target = target;
  req.body = body;
  req.headers = extra;
  req.headers["Content-Type"] = content_type;
  return Do(req);
}

HttpResponse Client::Patch(const std::string& target, const std::string& body) const {
  HttpRequest req;
  req.method = "PATCH";
  req.target = target;
  req.body = body;
  req.headers["Content-Type"] = "application/json";
  return Do(req);
}

HttpResponse Client::Delete(const std::string& target) const {
  HttpRequest req;
  req.method = "DELETE";
  req.target = target;
  return Do(req);
}

}  // namespace plumb::test
