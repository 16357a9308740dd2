#include "automation/webhook.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "automation/http_client.h"

namespace plumb::automation {
namespace {

constexpr std::string_view kSignaturePrefix = "sha256=";
constexpr int64_t kMaxRetryDelayMs = 10 * 60 * 1000;

// The hold on a claimed batch has to outlast the pass that sends it, or
// another process could send the same delivery meanwhile. A pass sends
// ceil(batch / concurrency) rounds of requests, each bounded by the timeout;
// the margin covers recording and a slow lookup.
constexpr int64_t kLockMarginMs = 60'000;

std::array<unsigned char, crypto_auth_hmacsha256_BYTES> Hmac(std::string_view secret,
                                                             std::string_view body) {
  // sodium_init is idempotent and thread-safe; it picks the fastest code paths.
  static const int sodium_ready = sodium_init();
  (void)sodium_ready;
  crypto_auth_hmacsha256_state state;
  // The _init API takes a key of any length (longer ones are hashed first,
  // as RFC 2104 says); crypto_auth_hmacsha256 itself wants exactly 32 bytes.
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac;
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);
  return mac;
}

}  // namespace

std::string SignatureHeader(std::string_view secret, std::string_view body) {
  const auto mac = Hmac(secret, body);
  std::string hex(mac.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  hex.pop_back();  // the terminating NUL
  return std::string(kSignaturePrefix) + hex;
}

bool VerifySignature(std::string_view secret, std::string_view body, std::string_view header) {
  if (header.size() != kSignaturePrefix.size() + crypto_auth_hmacsha256_BYTES * 2 ||
      header.substr(0, kSignaturePrefix.size()) != kSignaturePrefix) {
    return false;
  }
  std::string_view hex = header.substr(kSignaturePrefix.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> given;
  size_t given_len = 0;
  // Without an end pointer, sodium_hex2bin fails on any non-hex digit.
  if (sodium_hex2bin(given.data(), given.size(), hex.data(), hex.size(), nullptr, &given_len,
                     nullptr) != 0 ||
      given_len != given.size()) {
    return false;
  }
  const auto expected = Hmac(secret, body);
  return crypto_verify_32(given.data(), expected.data()) == 0;
}

Status ValidateWebhookUrl(std::string_view url, std::string_view field) {
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return Status::InvalidArgument(parsed.status().message(), std::string(field));
  return Status::Ok();
}

int64_t RetryDelayMs(int32_t failed_attempts) {
  if (failed_attempts < 1) return 0;
  // 1000 << 10 already exceeds the cap; stopping there also keeps the shift defined.
  if (failed_attempts > 10) return kMaxRetryDelayMs;
  return std::min<int64_t>(int64_t{1000} << (failed_attempts - 1), kMaxRetryDelayMs);
}

WebhookDeliverer::WebhookDeliverer(DeliveryQueue& queue, const Clock& clock,
                                   DelivererOptions options)
    : queue_(queue), clock_(clock), options_(options) {}

WebhookDeliverer::~WebhookDeliverer() { Stop(); }

void WebhookDeliverer::Start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void WebhookDeliverer::Stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (!thread_.joinable()) return;
  stopping_ = true;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  // RunOnce on the caller's thread keeps working after a Stop.
  stopping_ = false;
}

void WebhookDeliverer::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
    // Every submit wakes; between passes (min_pass_interval) the wake only
    // needs recording, and a notify would just wake the loop to sleep again.
    if (!awaits_wake_) return;
  }
  cv_.notify_all();
}

int32_t WebhookDeliverer::RunOnce() { return RunPass().sent; }

void WebhookDeliverer::Loop() {
  const int32_t batch = std::max<int32_t>(options_.batch, 1);
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    const Pass pass = RunPass();
    std::unique_lock lock(mu_);
    if (stop_) return;
    // A full batch means more may be due right now.
    if (pass.claimed >= batch && !stopping_) continue;
    // Wakes that come sooner gather for the next pass.
    cv_.wait_until(lock, started + options_.min_pass_interval, [this] { return stop_; });
    if (stop_) return;
    awaits_wake_ = true;
    cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || wake_; });
    awaits_wake_ = false;
    wake_ = false;
    if (stop_) return;
  }
}

WebhookDeliverer::Pass WebhookDeliverer::RunPass() {
  const int32_t batch = std::max<int32_t>(options_.batch, 1);
  const int32_t concurrency = std::clamp<int32_t>(options_.concurrency, 1, batch);
  const int64_t rounds = (batch + concurrency - 1) / concurrency;
  const int64_t lock_ms = rounds * options_.timeout.count() + kLockMarginMs;

  Result<std::vector<DueDelivery>> claimed = [&] {
    std::lock_guard lock(queue_mu_);
    return queue_.ClaimDue(clock_.NowMs(), batch, lock_ms);
  }();
  if (!claimed.ok()) {
    spdlog::warn("webhooks: claiming due deliveries failed: {}", claimed.status().ToString());
    return {};
  }
  const std::vector<DueDelivery>& due = *claimed;
  Pass pass;
  pass.claimed = static_cast<int32_t>(due.size());
  std::atomic<size_t> next{0};
  std::atomic<int32_t> sent{0};
  auto sender = [&] {
    for (size_t i = next++; i < due.size(); i = next++) {
      if (stopping_) return;
      Deliver(due[i]);
      ++sent;
    }
  };
  {
    // The caller's thread is one of the senders; the helpers join at scope end.
    const size_t helpers = std::min<size_t>(static_cast<size_t>(concurrency), due.size());
    std::vector<std::jthread> pool;
    for (size_t i = 1; i < helpers; ++i) pool.emplace_back(sender);
    sender();
  }
  pass.sent = sent;
  return pass;
}

void WebhookDeliverer::Deliver(const DueDelivery& delivery) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Plumb-Event", delivery.event_type},
      {"X-Plumb-Delivery", std::to_string(delivery.id)},
      {"X-Plumb-Signature", SignatureHeader(delivery.secret, delivery.body_json)},
  };
  const HttpOutcome outcome = PostJson(delivery.url, headers, delivery.body_json, options_.timeout);

  DeliveryAttempt attempt;
  attempt.delivery_id = delivery.id;
  attempt.at_ms = clock_.NowMs();
  attempt.status = outcome.status;
  attempt.error = outcome.error;
  attempt.delivered = outcome.status >= 200 && outcome.status < 300;
  const int32_t failed = delivery.attempts + 1;
  if (!attempt.delivered && failed < kMaxDeliveryAttempts) {
    attempt.next_attempt_at_ms = attempt.at_ms + RetryDelayMs(failed);
  }
  if (!attempt.delivered) {
    const std::string why =
        outcome.status != 0 ? "HTTP " + std::to_string(outcome.status) : outcome.error;
    if (attempt.next_attempt_at_ms) {
      spdlog::info("webhook delivery {}: attempt {} failed ({}); retrying in {} ms", delivery.id,
                   failed, why, *attempt.next_attempt_at_ms - attempt.at_ms);
    } else {
      spdlog::warn("webhook delivery {}: attempt {} failed ({}); giving up", delivery.id, failed,
                   why);
    }
  }

  Status recorded = [&] {
    std::lock_guard lock(queue_mu_);
    return queue_.Record(attempt);
  }();
  if (!recorded.ok()) {
    // Not fatal: the delivery stays held and is sent again when the hold
    // expires, which at-least-once delivery allows.
    spdlog::warn("webhook delivery {}: recording the attempt failed: {}", delivery.id,
                 recorded.ToString());
  }
}

}  // namespace plumb::automation
