#pragma once
// Time as an injected dependency: production code reads SystemClock, tests move
// a FakeClock instead of sleeping. Times are milliseconds since the Unix epoch.

#include <atomic>
#include <cstdint>
#include <string>

namespace plumb {

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe.
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void SetMs(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

// "2026-11-28T03:20:47.123Z".
std::string FormatIsoTime(int64_t ms_since_epoch);

}  // namespace plumb
