#pragma once
// Test only: a real HTTP receiver on 127.0.0.1 with an ephemeral port, run on
// its own thread. Each request is recorded and answered with the status the
// responder returns; 0 means never answer (the connection is held open until
// the receiver is destroyed), to exercise timeouts.

#include <boost/asio.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace plumb::automation::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;

  std::string Header(const std::string& lowercase_name) const {
    auto it = headers.find(lowercase_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A reply with a body; status 0 never answers, as with Responder.
struct TestResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

class TestReceiver {
 public:
  using Responder = std::function<int(const ReceivedRequest&)>;
  using BodyResponder = std::function<TestResponse(const ReceivedRequest&)>;
  explicit TestReceiver(Responder responder);
  explicit TestReceiver(BodyResponder responder);
  ~TestReceiver();
  TestReceiver(const TestReceiver&) = delete;
  TestReceiver& operator=(const TestReceiver&) = delete;

  uint16_t port() const { return port_; }
  std::string Url(const std::string& path = "/hook") const;
  std::vector<ReceivedRequest> Requests() const;
  // Waits (real time, at most max_wait) until at least n requests arrived;
  // returns how many there are.
  size_t WaitForRequests(size_t n, std::chrono::milliseconds max_wait) const;

 private:
  struct Session;
  void Accept();
  void Serve(std::shared_ptr<Session> session);
  void Answer(const std::shared_ptr<Session>& session);

  BodyResponder responder_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::shared_ptr<Session>> held_;  // never answered; io thread only
  std::thread thread_;
};

// A port on 127.0.0.1 with nothing listening on it (bound, then closed).
uint16_t ClosedPort();

}  // namespace plumb::automation::testing
