#pragma once
// Webhook delivery (docs/workflow.md, "Webhooks"): each delivery is a POST of
// the event JSON signed with the webhook's secret, retried with exponential
// backoff until a 2xx or kMaxDeliveryAttempts attempts. Delivery is at least
// once: receivers dedupe on X-Plumb-Delivery.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace plumb::automation {

// "sha256=" + the lowercase hex of HMAC-SHA256(secret, body). A secret of any
// length, including empty. Thread-safe.
std::string SignatureHeader(std::string_view secret, std::string_view body);

// Whether `header` is "sha256=" followed by the 64 hex digits (either case)
// of HMAC-SHA256(secret, body). The MACs are compared in constant time.
bool VerifySignature(std::string_view secret, std::string_view body, std::string_view header);

// Checks a webhook or callback URL when it is registered: the rules of
// ParseHttpUrl (http:// scheme, a host, a port in 1..65535, no userinfo, at
// most kMaxUrlLength bytes). kInvalidArgument with field() = `field`.
Status ValidateWebhookUrl(std::string_view url, std::string_view field);

inline constexpr int32_t kMaxDeliveryAttempts = 10;

// The delay before the next attempt after `failed_attempts` failed ones:
// 1 s, 2 s, 4 s, ... doubling, capped at 10 minutes; 0 when failed_attempts < 1.
int64_t RetryDelayMs(int32_t failed_attempts);

// One delivery due to be sent.
struct DueDelivery {
  int64_t id = 0;
  std::string url;
  std::string secret;
  std::string event_type;  // "task.completed", ...
  std::string body_json;   // sent as is and signed
  int32_t attempts = 0;    // attempts made before this one
};

// The outcome of one attempt.
struct DeliveryAttempt {
  int64_t delivery_id = 0;
  int64_t at_ms = 0;       // when the attempt ended (the Clock's time)
  int32_t status = 0;      // the receiver's HTTP status, 0 when it gave none
  std::string error;       // why there was no status ("" when status != 0)
  bool delivered = false;  // a 2xx
  // When to try again; nullopt with !delivered: the last attempt failed, give up (failed).
  std::optional<int64_t> next_attempt_at_ms;
};

// Where deliveries come from and their attempts go: implemented over the
// store by the server. The deliverer calls it from one thread at a time.
class DeliveryQueue {
 public:
  virtual ~DeliveryQueue() = default;
  // Up to `limit` deliveries due at now_ms (pending, next attempt <= now_ms,
  // not held), each held for lock_ms so another process does not send it at
  // the same time.
  virtual Result<std::vector<DueDelivery>> ClaimDue(int64_t now_ms, int32_t limit,
                                                    int64_t lock_ms) = 0;
  // Stores the attempt (attempts + 1, state, status, error, next attempt) and
  // releases the hold.
  virtual Status Record(const DeliveryAttempt& attempt) = 0;
};

struct DelivererOptions {
  std::chrono::milliseconds poll_interval{500};  // real time between polls when idle
  std::chrono::milliseconds timeout{10000};      // per attempt: connect + write + response
  int32_t batch = 16;                            // deliveries claimed per pass
  int32_t concurrency = 4;                       // deliveries of a pass sent at once
  // Least real time between the starts of two passes that found less than a
  // full batch. Every completed task wakes the deliverer; without this a busy
  // server ran a claim query per submit, most of them finding nothing.
  std::chrono::milliseconds min_pass_interval{20};
};

// Sends due deliveries. Each request carries X-Plumb-Event (event_type),
// X-Plumb-Delivery (id) and X-Plumb-Signature (SignatureHeader(secret, body)).
// A 2xx is delivered; anything else (including no answer within `timeout`)
// is tried again at now + RetryDelayMs(attempts + 1) until
// kMaxDeliveryAttempts attempts, and then failed. Each attempt is recorded as
// soon as it ends. Errors from the queue are logged (spdlog) and the pass
// goes on; a delivery whose Record failed is sent again once its hold
// expires. Nothing throws.
//
// A pass sends its batch on up to `concurrency` threads (the caller's and
// concurrency - 1 helpers), so a receiver that hangs occupies one sender for
// at most `timeout` and the others go on.
//
// Start/Stop/Wake are thread-safe. The queue and clock must outlive the
// deliverer.
class WebhookDeliverer {
 public:
  WebhookDeliverer(DeliveryQueue& queue, const Clock& clock, DelivererOptions options = {});
  ~WebhookDeliverer();  // Stop()
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

  // Starts the background thread: a pass, then wait poll_interval (or until
  // Wake/Stop, but at least min_pass_interval), again at once when a pass
  // claimed a full batch. No-op when started.
  void Start();
  // Stops the thread and joins it: sends in flight finish (at most `timeout`),
  // claimed deliveries not yet sent stay held until their hold expires. Idempotent.
  void Stop();
  // A new event was written: poll now instead of waiting.
  void Wake();
  // One pass on the caller's thread (plus helpers): claim, send, record.
  // Returns how many deliveries were sent (attempted), whatever their outcome.
  int32_t RunOnce();

 private:
  struct Pass {
    int32_t claimed = 0;
    int32_t sent = 0;
  };
  Pass RunPass();
  void Deliver(const DueDelivery& delivery);
  void Loop();

  DeliveryQueue& queue_;
  const Clock& clock_;
  const DelivererOptions options_;

  std::mutex queue_mu_;      // one queue call at a time
  std::mutex lifecycle_mu_;  // Start/Stop

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                  // guarded by mu_
  bool wake_ = false;                  // guarded by mu_
  bool awaits_wake_ = false;           // guarded by mu_: Loop waits for a Wake
  std::atomic<bool> stopping_{false};  // read by senders between deliveries
  std::thread thread_;
};

}  // namespace plumb::automation
