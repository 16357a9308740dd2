#include "automation/http_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "automation/test_receiver.h"

namespace plumb::automation {
namespace {

using std::chrono::milliseconds;
using testing::ClosedPort;
using testing::TestReceiver;

TEST(ParseHttpUrlTest, SplitsHostPortAndTarget) {
  struct Case {
    const char* url;
    const char* host;
    uint16_t port;
    const char* target;
    const char* host_header;
  };
  static const Case kCases[] = {
      {"http://example.com", "example.com", 80, "/", "example.com"},
      {"http://example.com/", "example.com", 80, "/", "example.com"},
      {"HTTP://Example.com:8080/hooks/a?x=1#frag", "Example.com", 8080, "/hooks/a?x=1",
       "Example.com:8080"},
      {"http://10.0.0.5:1/", "10.0.0.5", 1, "/", "10.0.0.5:1"},
      {"http://host_name.local:65535", "host_name.local", 65535, "/", "host_name.local:65535"},
      {"http://example.com?q=1", "example.com", 80, "/?q=1", "example.com"},
      {"http://[::1]:9000/in", "::1", 9000, "/in", "[::1]:9000"},
      {"http://[2001:db8::1]/", "2001:db8::1", 80, "/", "[2001:db8::1]"},
  };
  for (const Case& c : kCases) {
    Result<HttpUrl> url = ParseHttpUrl(c.url);
    ASSERT_TRUE(url.ok()) << c.url << ": " << url.status().ToString();
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->target, c.target) << c.url;
    EXPECT_EQ(url->host_header, c.host_header) << c.url;
  }
}

TEST(ParseHttpUrlTest, RejectsBadUrls) {
  struct Case {
    std::string url;
    const char* message_part;
  };
  const Case kCases[] = {
      {"", "empty"},
      {"example.com/hook", "http://"},
      {"ftp://example.com/", "http://"},
      {"https://example.com/hook", "no TLS"},
      {"HTTPS://example.com/hook", "no TLS"},
      {"http://", "no host"},
      {"http:///path", "no host"},
      {"http://:8080/", "no host"},
      {"http://user:pw@example.com/", "user name"},
      {"http://user@example.com/", "user name"},
      {"http://example.com:0/", "port"},
      {"http://example.com:65536/", "port"},
      {"http://example.com:/", "port"},
      {"http://example.com:80a/", "port"},
      {"http://example.com:-1/", "port"},
      {"http://example.com:123456/", "port"},
      {"http://exa mple.com/", "whitespace"},
      {"http://example.com/a b", "whitespace"},
      {"http://example.com/\r\nX-Evil: 1", "control"},
      {"http://ex\xc3\xa4mple.com/", "non-ASCII"},
      {"http://exa%6dple.com/", "invalid characters"},
      {"http://[::1/", "unterminated"},
      {"http://[::1]x/", "malformed host"},
      {"http://[]/", "no host"},
      {"http://[zz::1]/", "IPv6"},
      {"http://example.com/" + std::string(kMaxUrlLength, 'a'), "longer than 2048"},
  };
  for (const Case& c : kCases) {
    Result<HttpUrl> url = ParseHttpUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(url.status().message().find(c.message_part), std::string::npos)
        << c.url << ": " << url.status().message();
  }
}

TEST(ParseHttpUrlTest, AcceptsTheLongestAllowedUrl) {
  const std::string prefix = "http://example.com/";
  const std::string url = prefix + std::string(kMaxUrlLength - prefix.size(), 'a');
  EXPECT_TRUE(ParseHttpUrl(url).ok());
}

TEST(PostJsonTest, SendsBodyAndHeadersAndReturnsTheStatus) {
  TestReceiver receiver([](const testing::ReceivedRequest&) { return 201; });
  HttpOutcome out =
      PostJson(receiver.Url("/hooks/1?x=y"), {{"X-Test", "yes"}}, R"({"a":1})", milliseconds(5000));
  EXPECT_EQ(out.status, 201);
  EXPECT_EQ(out.error, "");
  auto requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/hooks/1?x=y");
  EXPECT_EQ(requests[0].body, R"({"a":1})");
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("content-length"), "7");
  EXPECT_EQ(requests[0].Header("x-test"), "yes");
  EXPECT_EQ(requests[0].Header("host"), "127.0.0.1:" + std::to_string(receiver.port()));
}

TEST(PostJsonTest, ReturnsErrorStatusesAsStatuses) {
  for (int status : {204, 301, 400, 404, 500, 503}) {
    TestReceiver receiver([status](const testing::ReceivedRequest&) { return status; });
    HttpOutcome out = PostJson(receiver.Url(), {}, "{}", milliseconds(5000));
    EXPECT_EQ(out.status, status);
    EXPECT_EQ(out.error, "") << status;
  }
}

TEST(PostJsonTest, TimesOutOnAReceiverThatNeverAnswers) {
  TestReceiver receiver([](const testing::ReceivedRequest&) { return 0; });
  const auto start = std::chrono::steady_clock::now();
  HttpOutcome out = PostJson(receiver.Url(), {}, "{}", milliseconds(300));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.error.find("timed out after 300 ms"), std::string::npos) << out.error;
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(3000));
  EXPECT_EQ(receiver.Requests().size(), 1u);  // the request itself got through
}

TEST(PostJsonTest, ReportsAClosedPortAsATransportError) {
  const uint16_t port = ClosedPort();
  HttpOutcome out =
      PostJson("http://127.0.0.1:" + std::to_string(port) + "/", {}, "{}", milliseconds(2000));
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.error.find("connecting to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << out.error;
  EXPECT_NE(out.error.find("refused"), std::string::npos) << out.error;
}

TEST(PostJsonTest, RefusesHttps) {
  HttpOutcome out = PostJson("https://127.0.0.1/hook", {}, "{}", milliseconds(1000));
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.error.find("https URLs are not supported"), std::string::npos) << out.error;
}

TEST(PostJsonTest, RefusesBadUrlsWithoutConnecting) {
  for (const char* url : {"", "not a url", "http://", "http://u@127.0.0.1/", "http://h:0/"}) {
    HttpOutcome out = PostJson(url, {}, "{}", milliseconds(1000));
    EXPECT_EQ(out.status, 0) << url;
    EXPECT_FALSE(out.error.empty()) << url;
  }
}

TEST(PostJsonTest, RefusesHeadersThatWouldSplitTheRequest) {
  TestReceiver receiver([](const testing::ReceivedRequest&) { return 200; });
  const std::vector<std::vector<std::pair<std::string, std::string>>> kBad = {
      {{"X-A", "1\r\nX-Injected: 1"}},
      {{"X-A", "1\nX"}},
      {{"X-A", std::string("a\0b", 3)}},
      {{"Bad Name", "1"}},
      {{"", "1"}},
      {{"X:Y", "1"}},
  };
  for (const auto& headers : kBad) {
    HttpOutcome out = PostJson(receiver.Url(), headers, "{}", milliseconds(1000));
    EXPECT_EQ(out.status, 0) << headers[0].first;
    EXPECT_FALSE(out.error.empty()) << headers[0].first;
  }
  EXPECT_EQ(receiver.Requests().size(), 0u);
}

TEST(PostJsonTest, AZeroTimeoutTimesOut) {
  TestReceiver receiver([](const testing::ReceivedRequest&) { return 200; });
  HttpOutcome out = PostJson(receiver.Url(), {}, "{}", milliseconds(0));
  EXPECT_EQ(out.status, 0);
  EXPECT_NE(out.error.find("timed out"), std::string::npos) << out.error;
}

}  // namespace
}  // namespace plumb::automation
