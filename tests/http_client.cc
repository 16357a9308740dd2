#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <sstream>

namespace plumb::test {

int ConnectLoopback(uint16_t port, int rcvbuf) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf != 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

HttpResponse Send(uint16_t port, const HttpRequest& request) {
  HttpResponse response;
  int fd = ConnectLoopback(port);
  if (fd < 0) return response;
  // A server that hangs (rather than dies) fails the request after a minute
  // instead of stalling the test until ctest's own limit.
  timeval timeout{.tv_sec = 60, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  std::ostringstream out;
  out << request.method << " " << request.target << " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      << "Connection: close\r\nContent-Length: " << request.body.size() << "\r\n";
  for (const auto& [name, value] : request.headers) out << name << ": " << value << "\r\n";
  out << "\r\n" << request.body;
  std::string raw = out.str();
  size_t sent = 0;
  while (sent < raw.size()) {
    ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before reading everything
    sent += static_cast<size_t>(n);
  }
  std::string in;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t header_end = in.find("\r\n\r\n");
  if (in.size() < 12 || header_end == std::string::npos) return response;
  response.status = std::stoi(in.substr(9, 3));
  std::istringstream headers(in.substr(0, header_end));
  std::string line;
  std::getline(headers, line);
  while (std::getline(headers, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t v = line.find_first_not_of(' ', colon + 1);
    std::string value = v == std::string::npos ? "" : line.substr(v);
    if (name == "set-cookie" && response.headers.count(name)) continue;
    response.headers[name] = value;
  }
  response.body = in.substr(header_end + 4);
  return response;
}

}  // namespace plumb::test
