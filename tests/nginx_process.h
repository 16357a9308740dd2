#pragma once
// Runs Debian's nginx with the deployment config of deploy/nginx/ in front of
// test servers: deploy/nginx/plumb.conf with its placeholders filled in for
// loopback ports, included by deploy/nginx/nginx-standalone.conf, under a temp
// prefix directory. Nothing is written outside that directory, and the nginx
// listens on a free 127.0.0.1 port.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace plumb::test {

class NginxProcess {
 public:
  // `upstream_ports`: the two `plumb serve` ports on 127.0.0.1 that
  // deploy/nginx/plumb.conf balances over (it names exactly two).
  // `max_upload`: the servers' --max-upload-bytes in nginx's size syntax
  // ("2g" is their default).
  explicit NginxProcess(std::vector<uint16_t> upstream_ports, std::string max_upload = "2g");
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  // Renders the config, starts nginx in the foreground (daemon off) and waits
  // until GET /healthz answers 200 through it. False on failure, with the
  // reason in error(). Retries on another port when the one picked was taken
  // in between.
  bool Start();
  // Stops nginx (SIGQUIT: finish open requests, then exit) and waits.
  void Stop();

  uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  const std::string& prefix() const { return prefix_; }
  std::string access_log() const;
  std::string error_log() const;  // the error log and what nginx printed

 private:
  bool StartOnce(uint16_t port);

  std::vector<uint16_t> upstream_ports_;
  std::string max_upload_;
  std::string prefix_;
  std::string error_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

}  // namespace plumb::test
