#include "automation/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

namespace plumb::automation {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpv6LiteralChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// RFC 9110 token characters, for header names.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) continue;
    if (std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

// Runs the io_context until the operations started since the last call are done.
void RunPending(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

HttpOutcome Failure(std::string error) { return HttpOutcome{0, std::move(error)}; }

HttpOutcome StepFailure(std::string_view step, const HttpUrl& url, const beast::error_code& ec,
                        std::chrono::milliseconds timeout) {
  std::string where = std::string(step) + " " + url.host_header;
  if (ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return Failure(where + ": timed out after " + std::to_string(timeout.count()) + " ms");
  }
  return Failure(where + ": " + ec.message());
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  if (url.empty()) return Status::InvalidArgument("URL is empty");
  if (url.size() > kMaxUrlLength) {
    return Status::InvalidArgument("URL is longer than " + std::to_string(kMaxUrlLength) +
                                   " bytes");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    // Whitespace and control characters would break the request line.
    if (u <= 0x20 || u >= 0x7f) {
      return Status::InvalidArgument("URL contains whitespace, control or non-ASCII characters");
    }
  }
  if (StartsWithNoCase(url, "https://")) {
    return Status::InvalidArgument(
        "https URLs are not supported: this build has no TLS library; use an http:// URL");
  }
  if (!StartsWithNoCase(url, "http://")) {
    return Status::InvalidArgument("URL must start with http://");
  }
  std::string_view rest = url.substr(7);
  const size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("URL must not contain a user name or password");
  }
  HttpUrl parsed;
  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("URL has an unterminated IPv6 address");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::InvalidArgument("URL has a malformed host");
      has_port = true;
      port = after.substr(1);
    }
    if (host.empty()) return Status::InvalidArgument("URL has no host");
    for (char c : host) {
      if (!IsIpv6LiteralChar(c)) return Status::InvalidArgument("URL has a malformed IPv6 address");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return Status::InvalidArgument("URL has no host");
    for (char c : host) {
      if (!IsHostChar(c)) return Status::InvalidArgument("URL host has invalid characters");
    }
  }
  if (has_port) {
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || port.size() > 5 || ec != std::errc() || end != port.data() + port.size() ||
        value < 1 || value > 65535) {
      return Status::InvalidArgument("URL port must be a number from 1 to 65535");
    }
    parsed.port = static_cast<uint16_t>(value);
  }
  parsed.host = std::string(host);
  parsed.host_header = std::string(authority);

  tail = tail.substr(0, tail.find('#'));
  if (tail.empty() || tail.front() != '/') {
    parsed.target = "/" + std::string(tail);  // "" or "?query"
  } else {
    parsed.target = std::string(tail);
  }
  return parsed;
}

namespace {

// One request and its response under one deadline; the body is read (up to
// max_body bytes) only when `response_body` is not null.
HttpOutcome Exchange(bhttp::verb verb, const std::string& url,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, std::chrono::milliseconds timeout,
                     std::string* response_body, size_t max_body) {
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return Failure(parsed.status().message());
  const HttpUrl& target = *parsed;
  for (const auto& [name, value] : headers) {
    if (!IsToken(name)) return Failure("header name \"" + name + "\" is not a valid HTTP token");
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Failure("header " + name + " has a CR, LF or NUL in its value");
    }
  }

  if (timeout.count() <= 0)
    return StepFailure("connecting to", target, beast::error::timeout, timeout);

  // One deadline for the whole exchange: the resolver gets a timer that
  // cancels it, the stream's expiry covers connect, write and read.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::io_context ioc;
  beast::error_code ec;

  tcp::resolver resolver(ioc);
  asio::steady_timer resolve_timer(ioc);
  tcp::resolver::results_type endpoints;
  bool resolved = false;
  resolve_timer.expires_at(deadline);
  resolve_timer.async_wait([&](const beast::error_code& timer_ec) {
    if (timer_ec || resolved) return;  // cancelled, or the lookup finished first
    resolver.cancel();
  });
  resolver.async_resolve(target.host, std::to_string(target.port),
                         [&](const beast::error_code& e, tcp::resolver::results_type results) {
                           resolved = true;
                           ec = e;
                           endpoints = std::move(results);
                           resolve_timer.cancel();
                         });
  RunPending(ioc);
  // operation_aborted here can only come from the timer's cancel.
  if (ec) return StepFailure("resolving", target, ec, timeout);

  beast::tcp_stream stream(ioc);
  // Set once: the expiry applies to every operation until it passes.
  stream.expires_at(deadline);
  stream.async_connect(endpoints,
                       [&](const beast::error_code& e, const tcp::endpoint&) { ec = e; });
  RunPending(ioc);
  if (ec) return StepFailure("connecting to", target, ec, timeout);

  bhttp::request<bhttp::string_body> req{verb, target.target, 11};
  req.set(bhttp::field::host, target.host_header);
  req.set(bhttp::field::user_agent, "Plumb");
  if (verb != bhttp::verb::get) req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::connection, "close");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  bhttp::async_write(stream, req, [&](const beast::error_code& e, size_t) { ec = e; });
  RunPending(ioc);
  if (ec) return StepFailure("sending to", target, ec, timeout);

  beast::flat_buffer buffer;
  if (response_body != nullptr) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(max_body);
    bhttp::async_read(stream, buffer, parser, [&](const beast::error_code& e, size_t) { ec = e; });
    RunPending(ioc);
    if (ec == bhttp::error::body_limit) {
      return Failure("reading the response from " + target.host_header + ": body over " +
                     std::to_string(max_body) + " bytes");
    }
    if (ec) return StepFailure("reading the response from", target, ec, timeout);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    *response_body = std::move(parser.get().body());
    return HttpOutcome{static_cast<int32_t>(parser.get().result_int()), {}};
  }
  // Only the status line and headers matter to callers; the body is not read.
  bhttp::response_parser<bhttp::empty_body> parser;
  bhttp::async_read_header(stream, buffer, parser,
                           [&](const beast::error_code& e, size_t) { ec = e; });
  RunPending(ioc);
  if (ec) return StepFailure("reading the response from", target, ec, timeout);

  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return HttpOutcome{static_cast<int32_t>(parser.get().result_int()), {}};
}

}  // namespace

HttpOutcome PostJson(const std::string& url,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body, std::chrono::milliseconds timeout) {
  return Exchange(bhttp::verb::post, url, headers, body, timeout, nullptr, 0);
}

HttpResponse SendHttp(std::string_view method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, std::chrono::milliseconds timeout,
                      size_t max_body_bytes) {
  HttpResponse out;
  const bhttp::verb verb = method == "GET" ? bhttp::verb::get : bhttp::verb::post;
  HttpOutcome outcome =
      Exchange(verb, url, headers, verb == bhttp::verb::get ? std::string() : body, timeout,
               &out.body, max_body_bytes);
  out.status = outcome.status;
  out.error = std::move(outcome.error);
  return out;
}

}  // namespace plumb::automation
