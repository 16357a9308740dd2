#pragma once
// A tiny blocking HTTP/1.1 client for API tests: one request per connection
// (Connection: close), bodies by Content-Length. Enough to drive the real
// server over loopback without pulling Beast into every test.

#include <cstdint>
#include <map>
#include <string>

namespace plumb::test {

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::map<std::string, std::string> headers;
  std::string body;
};

// Sends `request` to 127.0.0.1:port. status 0 when the connection failed.
HttpResponse Send(uint16_t port, const HttpRequest& request);

// A blocking TCP connection to 127.0.0.1:port, for tests that need the
// bytes on the wire; -1 when it failed. A receive buffer of `rcvbuf` bytes
// when not 0 (set before connecting, so the window starts small).
int ConnectLoopback(uint16_t port, int rcvbuf = 0);

}  // namespace plumb::test
