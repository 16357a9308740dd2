#include "automation/webhook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "automation/test_receiver.h"

namespace plumb::automation {
namespace {

using std::chrono::milliseconds;
using testing::ClosedPort;
using testing::ReceivedRequest;
using testing::TestReceiver;

TEST(SignatureTest, MatchesRfc4231TestVectors) {
  struct Case {
    std::string key;
    std::string data;
    const char* hmac_hex;
  };
  const Case kCases[] = {
      // RFC 4231 test case 1.
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      // Test case 2: a key shorter than the output.
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      // Test case 6: a key longer than the block size, hashed first.
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
  for (const Case& c : kCases) {
    EXPECT_EQ(SignatureHeader(c.key, c.data), std::string("sha256=") + c.hmac_hex) << c.data;
    EXPECT_TRUE(VerifySignature(c.key, c.data, std::string("sha256=") + c.hmac_hex)) << c.data;
  }
}

TEST(SignatureTest, AcceptsAnEmptySecretAndBody) {
  const std::string header = SignatureHeader("", "");
  EXPECT_EQ(header.size(), 7u + 64u);
  EXPECT_TRUE(VerifySignature("", "", header));
  EXPECT_FALSE(VerifySignature("x", "", header));
}

TEST(SignatureTest, RejectsWrongOrMalformedSignatures) {
  const std::string secret = "s3cret";
  const std::string body = R"({"id":1,"type":"task.completed"})";
  const std::string good = SignatureHeader(secret, body);
  const std::string hex = good.substr(7);
  std::string upper = good;
  for (size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
  EXPECT_TRUE(VerifySignature(secret, body, good));
  EXPECT_TRUE(VerifySignature(secret, body, upper));

  std::string flipped = good;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  const std::string kBad[] = {
      "",
      hex,                               // no prefix
      "sha1=" + hex,                     // another algorithm
      "SHA256=" + hex,                   // the prefix is case-sensitive
      "sha256=" + hex.substr(1),         // too short
      good + "0",                        // too long
      "sha256=" + std::string(64, 'g'),  // not hex
      " " + good,
      "sha256=" + hex.substr(0, 63) + "z",  // the last digit not hex
      flipped,
  };
  for (const std::string& header : kBad) {
    EXPECT_FALSE(VerifySignature(secret, body, header)) << "'" << header << "'";
  }
  EXPECT_FALSE(VerifySignature(secret, body + " ", good));  // body changed
  EXPECT_FALSE(VerifySignature("other", body, good));       // another secret
}

TEST(ValidateWebhookUrlTest, NamesTheFieldOnError) {
  EXPECT_TRUE(ValidateWebhookUrl("http://hooks.example.com:8080/plumb", "url").ok());
  EXPECT_TRUE(ValidateWebhookUrl("http://127.0.0.1/", "callback_url").ok());
  for (const char* url : {"", "https://hooks.example.com/", "http://a:b@hooks.example.com/",
                          "http://h:99999/", "ftp://hooks.example.com/", "http:///x"}) {
    Status s = ValidateWebhookUrl(url, "callback_url");
    ASSERT_FALSE(s.ok()) << url;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << url;
    EXPECT_EQ(s.field(), "callback_url") << url;
  }
  EXPECT_FALSE(ValidateWebhookUrl("http://h/" + std::string(3000, 'x'), "url").ok());
}

TEST(RetryDelayTest, DoublesFromOneSecondUpToTenMinutes) {
  struct Case {
    int32_t failed;
    int64_t delay_ms;
  };
  static const Case kCases[] = {
      {-1, 0},       {0, 0},        {1, 1'000},    {2, 2'000},
      {3, 4'000},    {4, 8'000},    {9, 256'000},  {10, 512'000},
      {11, 600'000}, {12, 600'000}, {64, 600'000}, {INT32_MAX, 600'000},
  };
  for (const Case& c : kCases) EXPECT_EQ(RetryDelayMs(c.failed), c.delay_ms) << c.failed;
}

// The queue as the store keeps it, in memory: pending deliveries become due
// at next_at and are held for lock_ms once claimed.
class MemoryQueue : public DeliveryQueue {
 public:
  struct Row {
    DueDelivery delivery;
    std::string state = "pending";
    int64_t next_at = 0;
    int64_t held_until = 0;
  };

  void Add(DueDelivery delivery, int64_t next_at = 0) {
    std::lock_guard lock(mu_);
    Row row;
    row.delivery = std::move(delivery);
    row.next_at = next_at;
    rows_[row.delivery.id] = std::move(row);
  }

  Result<std::vector<DueDelivery>> ClaimDue(int64_t now_ms, int32_t limit,
                                            int64_t lock_ms) override {
    std::lock_guard lock(mu_);
    ++claim_calls_;
    last_limit_ = limit;
    last_lock_ms_ = lock_ms;
    if (!claim_error_.ok()) return claim_error_;
    std::vector<DueDelivery> due;
    for (auto& [id, row] : rows_) {
      if (static_cast<int32_t>(due.size()) >= limit) break;
      if (row.state != "pending" || row.next_at > now_ms || row.held_until > now_ms) continue;
      row.held_until = now_ms + lock_ms;
      due.push_back(row.delivery);
    }
    return due;
  }

  Status Record(const DeliveryAttempt& attempt) override {
    std::lock_guard lock(mu_);
    attempts_.push_back(attempt);
    if (!record_error_.ok()) return record_error_;
    Row& row = rows_.at(attempt.delivery_id);
    ++row.delivery.attempts;
    row.held_until = 0;
    if (attempt.delivered) {
      row.state = "delivered";
    } else if (attempt.next_attempt_at_ms) {
      row.next_at = *attempt.next_attempt_at_ms;
    } else {
      row.state = "failed";
    }
    return Status::Ok();
  }

  Row Get(int64_t id) const {
    std::lock_guard lock(mu_);
    return rows_.at(id);
  }
  std::vector<DeliveryAttempt> Attempts() const {
    std::lock_guard lock(mu_);
    return attempts_;
  }
  int32_t ClaimCalls() const {
    std::lock_guard lock(mu_);
    return claim_calls_;
  }
  int32_t LastLimit() const {
    std::lock_guard lock(mu_);
    return last_limit_;
  }
  int64_t LastLockMs() const {
    std::lock_guard lock(mu_);
    return last_lock_ms_;
  }
  void FailClaims(Status s) {
    std::lock_guard lock(mu_);
    claim_error_ = std::move(s);
  }
  void FailRecords(Status s) {
    std::lock_guard lock(mu_);
    record_error_ = std::move(s);
  }

 private:
  mutable std::mutex mu_;
  std::map<int64_t, Row> rows_;
  std::vector<DeliveryAttempt> attempts_;
  int32_t claim_calls_ = 0;
  int32_t last_limit_ = 0;
  int64_t last_lock_ms_ = 0;
  Status claim_error_;
  Status record_error_;
};

DueDelivery MakeDelivery(int64_t id, std::string url) {
  DueDelivery d;
  d.id = id;
  d.url = std::move(url);
  d.secret = "whsec-" + std::to_string(id);
  d.event_type = "task.completed";
  d.body_json = R"({"id":)" + std::to_string(id) + R"(,"type":"task.completed","data":{}})";
  return d;
}

DelivererOptions FastOptions() {
  DelivererOptions options;
  options.timeout = milliseconds(2000);
  return options;
}

TEST(WebhookDelivererTest, SendsSignedDeliveriesAndDoesNotSendDeliveredOnesAgain) {
  const DueDelivery delivery = MakeDelivery(42, "");
  // The receiver checks the signature the way a customer's endpoint would.
  TestReceiver receiver([&](const ReceivedRequest& r) {
    return VerifySignature(delivery.secret, r.body, r.Header("x-plumb-signature")) ? 204 : 401;
  });
  DueDelivery d = delivery;
  d.url = receiver.Url("/plumb");
  MemoryQueue queue;
  queue.Add(d);
  FakeClock clock;
  WebhookDeliverer deliverer(queue, clock, FastOptions());

  EXPECT_EQ(deliverer.RunOnce(), 1);
  auto requests = receiver.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/plumb");
  EXPECT_EQ(requests[0].body, d.body_json);
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("x-plumb-event"), "task.completed");
  EXPECT_EQ(requests[0].Header("x-plumb-delivery"), "42");
  EXPECT_EQ(requests[0].Header("x-plumb-signature"), SignatureHeader(d.secret, d.body_json));

  auto attempts = queue.Attempts();
  ASSERT_EQ(attempts.size(), 1u);
  EXPECT_EQ(attempts[0].delivery_id, 42);
  EXPECT_EQ(attempts[0].status, 204);
  EXPECT_TRUE(attempts[0].delivered);
  EXPECT_EQ(attempts[0].error, "");
  EXPECT_EQ(attempts[0].at_ms, clock.NowMs());
  EXPECT_FALSE(attempts[0].next_attempt_at_ms.has_value());
  EXPECT_EQ(queue.Get(42).state, "delivered");

  clock.AdvanceMs(24 * 3600 * 1000);
  EXPECT_EQ(deliverer.RunOnce(), 0);
  EXPECT_EQ(receiver.Requests().size(), 1u);
}

TEST(WebhookDelivererTest, RetriesAFailingReceiverWithBackoffAndGivesUpAfterTenAttempts) {
  TestReceiver receiver([](const ReceivedRequest&) { return 500; });
  MemoryQueue queue;
  queue.Add(MakeDelivery(7, receiver.Url()));
  FakeClock clock;
  WebhookDeliverer deliverer(queue, clock, FastOptions());

  for (int32_t attempt = 1; attempt <= kMaxDeliveryAttempts; ++attempt) {
    ASSERT_EQ(deliverer.RunOnce(), 1) << "attempt " << attempt;
    const DeliveryAttempt last = queue.Attempts().back();
    EXPECT_EQ(last.status, 500) << attempt;
    EXPECT_FALSE(last.delivered) << attempt;
    EXPECT_EQ(last.at_ms, clock.NowMs()) << attempt;
    if (attempt == kMaxDeliveryAttempts) {
      EXPECT_FALSE(last.next_attempt_at_ms.has_value());
      break;
    }
    const int64_t delay = int64_t{1000} << (attempt - 1);  // 1 s, 2 s, 4 s, ...
    ASSERT_TRUE(last.next_attempt_at_ms.has_value()) << attempt;
    EXPECT_EQ(*last.next_attempt_at_ms, clock.NowMs() + delay) << attempt;
    // Not before its time.
    EXPECT_EQ(deliverer.RunOnce(), 0) << attempt;
    clock.AdvanceMs(delay - 1);
    EXPECT_EQ(deliverer.RunOnce(), 0) << attempt;
    clock.AdvanceMs(1);
  }
  EXPECT_EQ(queue.Get(7).state, "failed");
  EXPECT_EQ(queue.Get(7).delivery.attempts, kMaxDeliveryAttempts);
  clock.AdvanceMs(24 * 3600 * 1000);
  EXPECT_EQ(deliverer.RunOnce(), 0);
  EXPECT_EQ(receiver.Requests().size(), static_cast<size_t>(kMaxDeliveryAttempts));
  EXPECT_EQ(queue.Attempts().size(), static_cast<size_t>(kMaxDeliveryAttempts));
}

TEST(WebhookDelivererTest, ADeliveryThatSucceedsOnARetryIsDelivered) {
  int calls = 0;  // io thread only
  TestReceiver receiver([&](const ReceivedRequest&) { return ++calls < 3 ? 503 : 200; });
  MemoryQueue queue;
  queue.Add(MakeDelivery(1, receiver.Url()));
  FakeClock clock;
  WebhookDeliverer deliverer(queue, clock, FastOptions());
  EXPECT_EQ(deliverer.RunOnce(), 1);
  clock.AdvanceMs(1000);
  EXPECT_EQ(deliverer.RunOnce(), 1);
  clock.AdvanceMs(2000);
  EXPECT_EQ(deliverer.RunOnce(), 1);
  EXPECT_EQ(queue.Get(1).state, "delivered");
  EXPECT_EQ(queue.Get(1).delivery.attempts, 3);
  clock.AdvanceMs(3600 * 1000);
  EXPECT_EQ(deliverer.RunOnce(), 0);
}

TEST(WebhookDelivererTest, RetriesTransportErrors) {
  MemoryQueue queue;
  queue.Add(MakeDelivery(3, "http://127.0.0.1:" + std::to_string(ClosedPort()) + "/"));
  queue.Add(MakeDelivery(4, "https://hooks.example.com/"));
  FakeClock clock;
  WebhookDeliverer deliverer(queue, clock, FastOptions());
  EXPECT_EQ(deliverer.RunOnce(), 2);
  for (const DeliveryAttempt& a : queue.Attempts()) {
    EXPECT_EQ(a.status, 0) << a.delivery_id;
    EXPECT_FALSE(a.delivered) << a.delivery_id;
    EXPECT_FALSE(a.error.empty()) << a.delivery_id;
    ASSERT_TRUE(a.next_attempt_at_ms.has_value()) << a.delivery_id;
    EXPECT_EQ(*a.next_attempt_at_ms, clock.NowMs() + 1000) << a.delivery_id;
  }
}

TEST(WebhookDelivererTest, AHangingReceiverCostsAtMostTheTimeout) {
  TestReceiver hanging([](const ReceivedRequest&) { return 0; });
  TestReceiver healthy([](const ReceivedRequest&) { return 200; });
  for (int32_t concurrency : {1, 4}) {
    MemoryQueue queue;
    queue.Add(MakeDelivery(1, hanging.Url()));
    for (int64_t id = 2; id <= 4; ++id) queue.Add(MakeDelivery(id, healthy.Url()));
    FakeClock clock;
    DelivererOptions options;
    options.timeout = milliseconds(400);
    options.concurrency = concurrency;
    WebhookDeliverer deliverer(queue, clock, options);

    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(deliverer.RunOnce(), 4) << concurrency;
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, milliseconds(2000)) << concurrency;

    EXPECT_EQ(queue.Get(1).state, "pending") << concurrency;
    EXPECT_EQ(queue.Get(1).delivery.attempts, 1) << concurrency;
    for (int64_t id = 2; id <= 4; ++id) EXPECT_EQ(queue.Get(id).state, "delivered") << id;
    for (const DeliveryAttempt& a : queue.Attempts()) {
      if (a.delivery_id != 1) continue;
      EXPECT_EQ(a.status, 0);
      EXPECT_NE(a.error.find("timed out after 400 ms"), std::string::npos) << a.error;
    }
  }
}

TEST(WebhookDelivererTest, ClaimsABatchHeldLongerThanThePassTakes) {
  MemoryQueue queue;
  FakeClock clock;
  DelivererOptions options;
  options.timeout = milliseconds(10000);
  options.batch = 16;
  options.concurrency = 4;
  WebhookDeliverer deliverer(queue, clock, options);
  EXPECT_EQ(deliverer.RunOnce(), 0);
  EXPECT_EQ(queue.LastLimit(), 16);
  // 16 deliveries on 4 senders: at most 4 timeouts in a row.
  EXPECT_GE(queue.LastLockMs(), 4 * 10000);
}

TEST(WebhookDelivererTest, SurvivesClaimErrors) {
  TestReceiver receiver([](const ReceivedRequest&) { return 200; });
  MemoryQueue queue;
  queue.Add(MakeDelivery(1, receiver.Url()));
  queue.FailClaims(Status::Internal("database is locked"));
  FakeClock clock;
  WebhookDeliverer deliverer(queue, clock, FastOptions());
  EXPECT_EQ(deliverer.RunOnce(), 0);
  queue.FailClaims(Status::Ok());
  EXPECT_EQ(deliverer.RunOnce(), 1);
  EXPECT_EQ(queue.Get(1).state, "delivered");
}

TEST(WebhookDelivererTest, ADeliveryWhoseRecordFailedIsSentAgainAfterItsHold) {
  TestReceiver receiver([](const ReceivedRequest&) { return 200; });
  MemoryQueue queue;
  queue.Add(MakeDelivery(1, receiver.Url()));
  queue.FailRecords(Status::Internal("disk full"));
  FakeClock clock;
  WebhookDeliverer deliverer(queue, clock, FastOptions());
  EXPECT_EQ(deliverer.RunOnce(), 1);
  EXPECT_EQ(queue.Get(1).state, "pending");
  queue.FailRecords(Status::Ok());
  EXPECT_EQ(deliverer.RunOnce(), 0);  // still held
  clock.AdvanceMs(queue.LastLockMs());
  EXPECT_EQ(deliverer.RunOnce(), 1);  // at least once: the receiver sees it twice
  EXPECT_EQ(queue.Get(1).state, "delivered");
  EXPECT_EQ(receiver.Requests().size(), 2u);
  EXPECT_EQ(receiver.Requests()[0].Header("x-plumb-delivery"),
            receiver.Requests()[1].Header("x-plumb-delivery"));
}

// Waits (real time) for a condition a background thread makes true.
template <typename Pred>
bool Eventually(Pred pred, milliseconds max_wait = milliseconds(5000)) {
  const auto until = std::chrono::steady_clock::now() + max_wait;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

TEST(WebhookDelivererTest, BackgroundThreadSendsWhenWokenAndStops) {
  TestReceiver receiver([](const ReceivedRequest&) { return 200; });
  MemoryQueue queue;
  FakeClock clock;
  DelivererOptions options = FastOptions();
  options.poll_interval = std::chrono::hours(1);  // only Wake can start a second pass
  WebhookDeliverer deliverer(queue, clock, options);
  deliverer.Start();
  deliverer.Start();  // no-op
  ASSERT_TRUE(Eventually([&] { return queue.ClaimCalls() >= 1; }));

  queue.Add(MakeDelivery(5, receiver.Url()));
  deliverer.Wake();
  EXPECT_EQ(receiver.WaitForRequests(1, milliseconds(5000)), 1u);
  EXPECT_TRUE(Eventually([&] { return queue.Get(5).state == "delivered"; }));

  const auto start = std::chrono::steady_clock::now();
  deliverer.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  deliverer.Stop();  // idempotent

  // After Stop, passes on the caller's thread still work.
  queue.Add(MakeDelivery(6, receiver.Url()));
  EXPECT_EQ(deliverer.RunOnce(), 1);
}

TEST(WebhookDelivererTest, BackgroundThreadPollsOnItsOwn) {
  TestReceiver receiver([](const ReceivedRequest&) { return 200; });
  MemoryQueue queue;
  FakeClock clock;
  DelivererOptions options = FastOptions();
  options.poll_interval = milliseconds(20);
  WebhookDeliverer deliverer(queue, clock, options);
  deliverer.Start();
  queue.Add(MakeDelivery(8, receiver.Url()));
  EXPECT_TRUE(Eventually([&] { return queue.Get(8).state == "delivered"; }));
  // The destructor stops the thread.
}

}  // namespace
}  // namespace plumb::automation
