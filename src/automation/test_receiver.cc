#include "automation/test_receiver.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace plumb::automation::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct TestReceiver::Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request;
  bhttp::response<bhttp::string_body> response;
};

TestReceiver::TestReceiver(Responder responder)
    : TestReceiver(BodyResponder([responder = std::move(responder)](const ReceivedRequest& r) {
        const int status = responder(r);
        return TestResponse{status, "status " + std::to_string(status), "text/plain"};
      })) {}

TestReceiver::TestReceiver(BodyResponder responder)
    : responder_(std::move(responder)),
      acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { ioc_.run(); });
}

TestReceiver::~TestReceiver() {
  ioc_.stop();
  thread_.join();
  held_.clear();
}

std::string TestReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> TestReceiver::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

size_t TestReceiver::WaitForRequests(size_t n, std::chrono::milliseconds max_wait) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, max_wait, [&] { return requests_.size() >= n; });
  return requests_.size();
}

void TestReceiver::Accept() {
  acceptor_.async_accept([this](const beast::error_code& ec, tcp::socket socket) {
    if (ec) return;
    Serve(std::make_shared<Session>(std::move(socket)));
    Accept();
  });
}

void TestReceiver::Serve(std::shared_ptr<Session> session) {
  bhttp::async_read(session->stream, session->buffer, session->request,
                    [this, session](const beast::error_code& ec, size_t) {
                      if (!ec) Answer(session);
                    });
}

void TestReceiver::Answer(const std::shared_ptr<Session>& session) {
  const bhttp::request<bhttp::string_body>& req = session->request;
  ReceivedRequest received;
  received.method = std::string(req.method_string());
  received.target = std::string(req.target());
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    received.headers[name] = std::string(field.value());
  }
  received.body = req.body();
  TestResponse reply = responder_(received);
  const int status = reply.status;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(received));
  }
  cv_.notify_all();
  if (status == 0) {
    held_.push_back(session);
    return;
  }
  bhttp::response<bhttp::string_body>& res = session->response;
  res.version(11);
  res.result(static_cast<unsigned>(status));
  // 204 and 304 must not have a body (Beast refuses to send one).
  if (status != 204 && status != 304) {
    res.set(bhttp::field::content_type, reply.content_type);
    res.body() = std::move(reply.body);
  }
  res.prepare_payload();
  res.keep_alive(false);
  bhttp::async_write(session->stream, res, [session](const beast::error_code&, size_t) {
    beast::error_code ignored;
    session->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  });
}

uint16_t ClosedPort() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = acceptor.local_endpoint().port();
  acceptor.close();
  return port;
}

}  // namespace plumb::automation::testing
