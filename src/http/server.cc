// The Beast/Asio HTTP/1.1 server: accepts connections on io threads, reads a
// request (headers first, so uploads can be streamed to a temp file), runs
// the handler on a worker pool so slow database work never blocks the io
// threads, and writes the reply. Keep-alive, body limits, idle timeouts and
// graceful shutdown live here; nothing of Beast leaves this file.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <spdlog/spdlog.h>
#include <sched.h>
#include <sys/socket.h>
#include <cerrno>
#include <unistd.h>

#include "http/http.h"
#include "http/metrics.h"
#include "http/request_util.h"
#include "http/send_now.h"
#include "http/worker_pool.h"

namespace plumb::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

// Live connections, so shutdown can close the idle ones while busy ones
// finish their request.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  std::atomic<bool> busy{false};
};

class ConnectionSet {
 public:
  void Add(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu_);
    live_.insert(c);
  }
  void Remove(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu_);
    live_.erase(c);
  }
  // Closes every connection that waits for a request; busy ones close after
  // their reply because the server no longer keeps connections alive.
  void CloseIdle() {
    std::lock_guard lock(mu_);
    for (const auto& c : live_) {
      asio::post(c->stream.get_executor(), [c] {
        if (!c->busy) {
          beast::error_code ec;
          c->stream.socket().shutdown(tcp::socket::shutdown_both, ec);
          c->stream.socket().close(ec);
        }
      });
    }
  }

 private:
  std::mutex mu_;
  std::set<std::shared_ptr<Connection>> live_;
};

struct ServerState {
  const ServerOptions& options;
  const Services& services;
  WorkerPool& workers;
  ConnectionSet connections;
  std::atomic<bool> stopping{false};
};

Request ToRequest(const bhttp::request_header<>& header, const std::string& remote) {
  Request req;
  req.method = std::string(header.method_string());
  SplitTarget(std::string(header.target()), req.path, req.query);
  for (const auto& field : header) {
    std::string name(field.name_string());
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    req.headers[name] = std::string(field.value());
  }
  req.remote_address = remote;
  return req;
}

// The status line and headers of `reply` on a Beast response.
template <typename Response>
void FillResponse(Response& res, const Reply& reply, unsigned version, bool keep_alive) {
  res.version(version);
  res.result(static_cast<bhttp::status>(reply.status));
  res.set(bhttp::field::server, "plumb");
  res.set(bhttp::field::content_type, reply.content_type);
  res.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : reply.headers) res.insert(name, value);
  res.keep_alive(keep_alive);
}

// Runs `fn` on a worker and resumes the awaiting coroutine with its result
// on the coroutine's own executor (the connection's io thread); what `fn`
// throws is thrown there.
template <typename F>
awaitable<std::invoke_result_t<F&>> OnWorkers(WorkerPool& workers, F fn) {
  using R = std::invoke_result_t<F&>;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                          void(std::exception_ptr, R)>(
      [&workers](auto handler, F f) {
        // The work guard keeps the io context running until the result is
        // back on it.
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        workers.Post(Job([handler = std::move(handler), f = std::move(f),
                          work = std::move(work)]() mutable {
          std::exception_ptr error;
          R result{};
          try {
            result = f();
          } catch (...) {
            error = std::current_exception();
          }
          auto executor = work.get_executor();
          asio::post(executor, [handler = std::move(handler), error, result = std::move(result),
                                work = std::move(work)]() mutable {
            std::move(handler)(error, std::move(result));
          });
        }));
      },
      use_awaitable, std::move(fn));
}

// Writes `reply` as a Beast response; a file reply is streamed from disk.
awaitable<void> WriteReply(beast::tcp_stream& stream, Reply& reply, unsigned version,
                           bool keep_alive) {
  auto fill = [&](auto& res) { FillResponse(res, reply, version, keep_alive); };
  if (!reply.file.empty()) {
    bhttp::response<bhttp::file_body> res;
    fill(res);
    beast::error_code ec;
    res.body().open(reply.file.c_str(), beast::file_mode::scan, ec);
    if (reply.delete_file) ::unlink(reply.file.c_str());
    if (ec) {
      Reply err = ErrorReply(Status::Internal("cannot read reply file"));
      co_await WriteReply(stream, err, version, false);
      co_return;
    }
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_awaitable);
  } else {
    bhttp::response<bhttp::string_body> res;
    fill(res);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    co_await bhttp::async_write(stream, res, use_awaitable);
  }
}

}  // namespace

// Sends in one non-blocking send, so the client has the reply without
// waiting for the connection's io thread to be scheduled. Measured with 64
// annotators on two cores: 6-8% more next+submit round trips, ~10% less
// server CPU for each.
SentNow SendNow(int fd, const Reply& reply, unsigned version, bool keep_alive) {
  SentNow sent;
  if (!reply.file.empty() || reply.body.size() > kSendNowBytes) return sent;
  bhttp::response<bhttp::string_body> res;
  FillResponse(res, reply, version, keep_alive);
  res.body() = reply.body;
  res.prepare_payload();
  std::string bytes;
  bytes.reserve(reply.body.size() + 256);
  bhttp::serializer<false, bhttp::string_body> serializer{res};
  beast::error_code ec;
  while (!ec && !serializer.is_done()) {
    serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
      for (const auto& b : beast::buffers_range_ref(buffers)) {
        bytes.append(static_cast<const char*>(b.data()), b.size());
      }
      serializer.consume(beast::buffer_bytes(buffers));
    });
  }
  if (ec) return sent;
  sent.tried = true;
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(),
                           MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    sent.failed = true;
    return sent;
  }
  sent.rest = bytes.substr(n < 0 ? 0 : static_cast<size_t>(n));
  return sent;
}

namespace {

// How long a connection whose request body was refused unread keeps reading
// (and dropping) what the client still sends before it closes.
constexpr auto kLingerTime = std::chrono::seconds(5);

// Reads and drops the rest of a refused request body until the client closes
// or kLingerTime passes. Closing with unread bytes in the socket's buffer
// sends a reset, and a client or proxy still sending the body can lose the
// reply to it: nginx, for one, reports a 502 and marks the server down.
awaitable<void> DrainUnreadBody(beast::tcp_stream& stream) {
  std::array<char, 16 * 1024> sink;
  stream.expires_after(kLingerTime);
  for (;;) {
    beast::error_code ec;
    co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }
}

// A temp file that removes itself.
struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

awaitable<void> Session(std::shared_ptr<Connection> conn, ServerState& state) {
  beast::tcp_stream& stream = conn->stream;
  beast::flat_buffer buffer;
  std::string remote;
  {
    beast::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string();
  }
  const auto idle = std::chrono::seconds(state.options.idle_timeout_seconds);
  bool body_left_unread = false;  // the last request was answered without reading its body
  try {
    for (;;) {
      stream.expires_after(idle);
      bhttp::request_parser<bhttp::empty_body> header_parser;
      header_parser.header_limit(64 * 1024);
      header_parser.body_limit(std::numeric_limits<uint64_t>::max());
      co_await bhttp::async_read_header(stream, buffer, header_parser, use_awaitable);
      conn->busy = true;
      const auto started = std::chrono::steady_clock::now();
      auto& header = header_parser.get();
      const unsigned version = header.version();
      Request req = ToRequest(header, remote);
      bool keep_alive = header.keep_alive();

      TempFile upload;
      Reply reply;
      SentNow sent_now;  // by the worker
      bool body_ok = true;
      beast::error_code ec;
      const bool is_upload = IsUploadRoute(req.method, req.path);
      const uint64_t limit =
          is_upload ? state.options.max_upload_bytes : state.options.max_body_bytes;
      // The header was parsed without a limit, so Beast will not compare a
      // declared Content-Length again: check it here, before reading a byte.
      // Chunked bodies are bounded by the body parser's own limit below.
      const bool too_large =
          header_parser.content_length() && *header_parser.content_length() > limit;
      Status upload_check;
      if (is_upload && !too_large) {
        upload_check =
            co_await OnWorkers(state.workers, [&] { return CheckUpload(state.services, req); });
      }
      if (!too_large && upload_check.ok() && header[bhttp::field::expect] == "100-continue") {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, version};
        co_await bhttp::async_write(stream, cont, use_awaitable);
      }
      if (too_large) {
        ec = bhttp::error::body_limit;
      } else if (!upload_check.ok()) {
        reply = ErrorReply(upload_check);
        body_ok = false;
        keep_alive = false;  // the unread body makes the stream unusable
        body_left_unread = true;
      } else if (is_upload) {
        auto tmp = MakeTempFile(state.services.temp_dir, "upload");
        if (!tmp.ok()) {
          reply = ErrorReply(tmp.status());
          body_ok = false;
          keep_alive = false;
          body_left_unread = true;
        } else {
          upload.path = *tmp;
          bhttp::request_parser<bhttp::file_body> parser(std::move(header_parser));
          parser.body_limit(limit);
          parser.get().body().open(upload.path.c_str(), beast::file_mode::write, ec);
          if (!ec) {
            co_await bhttp::async_read(stream, buffer, parser,
                                       asio::redirect_error(use_awaitable, ec));
          }
          parser.get().body().close();
          req.body_file = upload.path;
        }
      } else {
        bhttp::request_parser<bhttp::string_body> parser(std::move(header_parser));
        parser.body_limit(limit);
        co_await bhttp::async_read(stream, buffer, parser,
                                   asio::redirect_error(use_awaitable, ec));
        if (!ec) req.body = std::move(parser.get().body());
      }
      if (ec == bhttp::error::body_limit) {
        reply = ErrorReply(Status::PayloadTooLarge("request body is over the server's limit"));
        body_ok = false;
        keep_alive = false;  // the rest of the body is unread: the stream is unusable
        body_left_unread = true;
      } else if (ec) {
        break;  // the peer went away or sent garbage mid-body
      }

      if (body_ok && req.path == "/healthz") {
        // Liveness touches nothing that blocks: answer on the io thread.
        reply = HandleRequest(state.services, req);
      } else if (body_ok) {
        // Handlers block on the database: run them on the worker pool, which
        // also sends a small reply itself.
        reply = co_await OnWorkers(state.workers, [&] {
          Reply made;
          try {
            made = HandleRequest(state.services, req);
          } catch (const std::exception& e) {
            spdlog::error("{} {}: unhandled exception: {}", req.method, req.path, e.what());
            made = ErrorReply(Status::Internal("internal error"));
          }
          if (state.stopping) keep_alive = false;
          sent_now = SendNow(stream.socket().native_handle(), made, version, keep_alive);
          return made;
        });
      } else if (state.services.metrics) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                          .count();
        state.services.metrics->Record("server", req.method, reply.status, secs);
      }
      if (sent_now.failed) break;
      if (sent_now.tried) {
        if (!sent_now.rest.empty()) {
          stream.expires_after(idle);
          co_await asio::async_write(stream, asio::buffer(sent_now.rest), use_awaitable);
        }
      } else {
        if (state.stopping) keep_alive = false;
        stream.expires_after(idle);
        co_await WriteReply(stream, reply, version, keep_alive);
      }
      conn->busy = false;
      if (!keep_alive) break;
    }
  } catch (const boost::system::system_error& e) {
    // End of stream, timeout, reset or a shutdown close: the connection ends.
    if (e.code() != bhttp::error::end_of_stream && e.code() != asio::error::operation_aborted &&
        e.code() != beast::error::timeout && e.code() != asio::error::connection_reset &&
        e.code() != asio::error::bad_descriptor && e.code() != asio::error::eof) {
      spdlog::debug("connection from {}: {}", remote, e.code().message());
    }
  } catch (const std::exception& e) {
    spdlog::error("connection from {}: {}", remote, e.what());
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  // Not busy: a server shutdown closes the socket and ends the wait.
  if (body_left_unread && !ec && !state.stopping) co_await DrainUnreadBody(stream);
  stream.socket().close(ec);
}

// Accepts connections and hands them round-robin to the io contexts, each run
// by one thread: a connection's handlers then never need a strand, and no
// single io thread carries every connection's reads and writes (with one
// shared context, one thread ended up doing nearly all of them).
awaitable<void> Listen(tcp::acceptor& acceptor, ServerState& state,
                       const std::vector<std::unique_ptr<asio::io_context>>& io) {
  size_t next = 0;
  for (;;) {
    beast::error_code ec;
    asio::io_context& target = *io[next++ % io.size()];
    tcp::socket socket = co_await acceptor.async_accept(
        target.get_executor(), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || state.stopping) co_return;
      spdlog::warn("accept: {}", ec.message());
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(std::move(socket));
    state.connections.Add(conn);
    asio::co_spawn(conn->stream.get_executor(), Session(conn, state),
                   [conn, &state](std::exception_ptr) { state.connections.Remove(conn); });
  }
}

// The server's threads run under SCHED_BATCH, which they inherit from the
// thread that starts them: a thread woken by a commit or a socket then does
// not preempt the one running, which keeps its CPU to the end of its time
// slice. CPU shares stay as under SCHED_OTHER. Measured: ~7% more
// next+submit round trips with 64 annotators on two cores. The store's
// writer and sync threads, started when it opened, keep SCHED_OTHER: every
// write waits for them, so they may preempt. The calling thread's policy is
// restored when the server returns.
class BatchScheduling {
 public:
  BatchScheduling() {
    sched_param param{};
    active_ = sched_getscheduler(0) == SCHED_OTHER && sched_setscheduler(0, SCHED_BATCH, &param) == 0;
  }
  ~BatchScheduling() {
    sched_param param{};
    if (active_) (void)sched_setscheduler(0, SCHED_OTHER, &param);
  }
  BatchScheduling(const BatchScheduling&) = delete;
  BatchScheduling& operator=(const BatchScheduling&) = delete;

 private:
  bool active_ = false;
};

}  // namespace

Status RunServer(const ServerOptions& options, const Services& services,
                 const std::function<void(uint16_t)>& on_listening) {
  const BatchScheduling batch_scheduling;
  std::vector<std::unique_ptr<asio::io_context>> io;
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    io.push_back(std::make_unique<asio::io_context>(1));
  }
  asio::io_context& ioc = *io[0];
  // Keeps every context running while it has no connection yet; released
  // at shutdown so each returns once its connections have ended.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> idle_guards;
  for (auto& context : io) idle_guards.push_back(asio::make_work_guard(*context));
  WorkerPool workers(static_cast<size_t>(options.worker_threads));
  ServerState state{options, services, workers, {}, {false}};

  tcp::acceptor acceptor(ioc);
  beast::error_code ec;
  auto address = asio::ip::make_address(options.listen_address, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + options.listen_address + "'");
  tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::Internal("cannot listen on " + options.listen_address + ":" +
                            std::to_string(options.port) + ": " + ec.message());
  }
  const uint16_t port = acceptor.local_endpoint().port();

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code& error, int signal) {
    if (error) return;
    spdlog::info("signal {}: finishing in-flight requests and stopping", signal);
    state.stopping = true;
    beast::error_code ignored;
    acceptor.close(ignored);
    state.connections.CloseIdle();
    for (auto& guard : idle_guards) guard.reset();
  });

  asio::co_spawn(ioc, Listen(acceptor, state, io), asio::detached);
  if (on_listening) on_listening(port);

  std::vector<std::thread> threads;
  for (size_t i = 1; i < io.size(); ++i) {
    threads.emplace_back([context = io[i].get()] { context->run(); });
  }
  ioc.run();
  for (auto& t : threads) t.join();
  workers.Join();
  return Status::Ok();
}

}  // namespace plumb::http
