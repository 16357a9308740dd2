#include "nginx_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "http_client.h"

namespace plumb::test {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// A port the kernel just had free on 127.0.0.1. Another process may take it
// before nginx binds it; Start() then tries another.
uint16_t FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Replaces every `${name}` in `text`; false if one of them does not occur.
bool Fill(std::string& text, const std::string& name, const std::string& value) {
  const std::string placeholder = "${" + name + "}";
  bool found = false;
  for (size_t at; (at = text.find(placeholder)) != std::string::npos;) {
    text.replace(at, placeholder.size(), value);
    found = true;
  }
  return found;
}

// True when a line that is not a comment still holds a `${...}`.
bool HasPlaceholder(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] != '#' && line.find("${") != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string Loopback(uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

}  // namespace

NginxProcess::NginxProcess(std::vector<uint16_t> upstream_ports, std::string max_upload)
    : upstream_ports_(std::move(upstream_ports)), max_upload_(std::move(max_upload)) {
  char tmpl[] = "/tmp/plumb-nginx-XXXXXX";
  prefix_ = ::mkdtemp(tmpl);
  // As root, nginx's workers run as nobody and must reach tmp/ below here.
  ::chmod(prefix_.c_str(), 0755);
  for (const char* sub : {"/conf", "/logs", "/tmp"}) ::mkdir((prefix_ + sub).c_str(), 0755);
}

NginxProcess::~NginxProcess() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(prefix_, ec);
}

bool NginxProcess::Start() {
  if (::access(kNginx, X_OK) != 0) {
    error_ = std::string(kNginx) + " is missing (Debian's nginx package: make deps)";
    return false;
  }
  if (upstream_ports_.size() != 2) {
    error_ = "deploy/nginx/plumb.conf names two servers";
    return false;
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    uint16_t port = FreePort();
    if (port != 0 && StartOnce(port)) return true;
  }
  return false;
}

bool NginxProcess::StartOnce(uint16_t port) {
  const std::string deploy = PLUMB_DEPLOY_DIR;
  std::string site = ReadFile(deploy + "/nginx/plumb.conf");
  if (!Fill(site, "PLUMB_LISTEN", Loopback(port)) ||
      !Fill(site, "PLUMB_SERVER_1", Loopback(upstream_ports_[0])) ||
      !Fill(site, "PLUMB_SERVER_2", Loopback(upstream_ports_[1])) ||
      !Fill(site, "PLUMB_MAX_UPLOAD", max_upload_)) {
    error_ = deploy + "/nginx/plumb.conf lacks a placeholder";
    return false;
  }
  if (HasPlaceholder(site)) {
    error_ = deploy + "/nginx/plumb.conf has a placeholder the test does not fill";
    return false;
  }
  const std::string main_conf = ReadFile(deploy + "/nginx/nginx-standalone.conf");
  if (main_conf.empty() || !WriteFile(prefix_ + "/conf/plumb.conf", site) ||
      !WriteFile(prefix_ + "/conf/nginx.conf", main_conf)) {
    error_ = "cannot write the nginx config under " + prefix_;
    return false;
  }

  // The master stays in the foreground as our child. As root it would hand
  // its workers to the compiled-in default user; name one that exists on
  // Debian instead.
  std::string globals = "daemon off;";
  if (::geteuid() == 0) globals += " user nobody nogroup;";
  const std::string out_path = prefix_ + "/logs/stderr.log";
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_ = ::fork();
  if (pid_ == 0) {
    // Should the test die without stopping it, take nginx down too (SIGTERM:
    // the master stops its workers).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(out, 1);
    ::dup2(out, 2);
    const std::string prefix_arg = prefix_ + "/";
    ::execl(kNginx, kNginx, "-p", prefix_arg.c_str(), "-c", "conf/nginx.conf", "-e",
            "logs/error.log", "-g", globals.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out);
  port_ = port;
  HttpRequest health;
  health.target = "/healthz";
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      error_ = "nginx exited: " + error_log();
      return false;
    }
    if (Send(port_, health).status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error_ = "nginx did not answer /healthz within 10 s: " + error_log();
  Stop();
  return false;
}

void NginxProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string NginxProcess::access_log() const { return ReadFile(prefix_ + "/logs/access.log"); }

std::string NginxProcess::error_log() const {
  return ReadFile(prefix_ + "/logs/error.log") + ReadFile(prefix_ + "/logs/stderr.log");
}

}  // namespace plumb::test
