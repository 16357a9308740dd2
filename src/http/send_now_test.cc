#include "http/send_now.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace plumb::http {
namespace {

// A connected loopback TCP pair: `server` sends, `client` reads.
class SendNowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    client_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_EQ(::connect(client_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    server_ = ::accept(listener, nullptr, nullptr);
    ASSERT_GE(server_, 0);
    ::close(listener);
  }
  void TearDown() override {
    ::close(client_);
    ::close(server_);
  }

  // Everything the client can read now, waiting for at least `want` bytes.
  std::string Read(size_t want) {
    std::string got;
    char buf[64 * 1024];
    while (got.size() < want) {
      const ssize_t n = ::recv(client_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

  // Sends on the server until the socket takes no more; returns the bytes.
  size_t FillServerSocket() {
    const int flags = ::fcntl(server_, F_GETFL);
    ::fcntl(server_, F_SETFL, flags | O_NONBLOCK);
    const std::vector<char> chunk(64 * 1024, 'x');
    size_t total = 0;
    while (true) {
      const ssize_t n = ::send(server_, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      total += static_cast<size_t>(n);
    }
    ::fcntl(server_, F_SETFL, flags);
    return total;
  }

  int client_ = -1;
  int server_ = -1;
};

Reply JsonReply(std::string body) {
  Reply reply;
  reply.status = 201;
  reply.body = std::move(body);
  reply.headers.emplace_back("Location", "/api/v1/x/1");
  return reply;
}

TEST_F(SendNowTest, ASmallReplyGoesOutWholeInOneSend) {
  const std::string body = R"({"id":1,"text":"hello"})";
  SentNow sent = SendNow(server_, JsonReply(body), 11, /*keep_alive=*/true);
  EXPECT_TRUE(sent.tried);
  EXPECT_FALSE(sent.failed);
  EXPECT_TRUE(sent.rest.empty());
  const std::string got = Read(1);
  EXPECT_EQ(got.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(got.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_NE(got.find("X-Content-Type-Options: nosniff\r\n"), std::string::npos);
  EXPECT_NE(got.find("Location: /api/v1/x/1\r\n"), std::string::npos);
  EXPECT_EQ(got.find("Connection: close"), std::string::npos) << "kept alive";
  EXPECT_EQ(got.substr(got.size() - body.size()), body);

  EXPECT_TRUE(SendNow(server_, JsonReply("{}"), 11, /*keep_alive=*/false).rest.empty());
  EXPECT_NE(Read(1).find("Connection: close\r\n"), std::string::npos);
}

// A full socket takes nothing: the whole reply is left, byte for byte the
// one a free socket gets, for the io thread to write.
TEST_F(SendNowTest, WhatAFullSocketDoesNotTakeIsLeftForTheIoThread) {
  const std::string body(40 * 1024, 'b');
  const size_t filler = FillServerSocket();
  ASSERT_GT(filler, 0u);
  SentNow sent = SendNow(server_, JsonReply(body), 11, true);
  EXPECT_TRUE(sent.tried);
  EXPECT_FALSE(sent.failed);
  ASSERT_FALSE(sent.rest.empty());
  // What was sent, then what was left, is the whole reply after the filler.
  std::string got;
  std::thread reader([&] { got = Read(SIZE_MAX); });
  const bool rest_sent = ::send(server_, sent.rest.data(), sent.rest.size(), MSG_NOSIGNAL) ==
                         static_cast<ssize_t>(sent.rest.size());
  ::shutdown(server_, SHUT_WR);
  reader.join();
  ASSERT_TRUE(rest_sent);
  ASSERT_GE(got.size(), filler);
  const std::string reply = got.substr(filler);
  EXPECT_EQ(reply.rfind("HTTP/1.1 201 Created\r\n", 0), 0u) << reply.substr(0, 100);
  EXPECT_EQ(reply.substr(reply.size() - body.size()), body);
  EXPECT_NE(reply.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos);
}

TEST_F(SendNowTest, FileAndLargeRepliesAreLeftToTheIoThread) {
  Reply file;
  file.file = "/etc/hostname";
  EXPECT_FALSE(SendNow(server_, file, 11, true).tried);
  EXPECT_FALSE(SendNow(server_, JsonReply(std::string(kSendNowBytes + 1, 'x')), 11, true).tried);
  EXPECT_TRUE(SendNow(server_, JsonReply(std::string(kSendNowBytes, 'x')), 11, true).tried);
}

TEST_F(SendNowTest, ASocketThatCannotSendFails) {
  ::shutdown(server_, SHUT_WR);
  SentNow sent = SendNow(server_, JsonReply("{}"), 11, true);
  EXPECT_TRUE(sent.tried);
  EXPECT_TRUE(sent.failed);
}

}  // namespace
}  // namespace plumb::http
