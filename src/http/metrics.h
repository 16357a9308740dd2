#pragma once
// Prometheus metrics of the HTTP layer: request counts by route, method and
// status, and a latency histogram by route. Thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "store/store.h"

namespace plumb::http {

class Metrics {
 public:
  // Upper bounds of the latency buckets, seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

  void Record(const std::string& route, const std::string& method, int status, double seconds);

  // The text exposition format, with task counts by project and state (every
  // state of every project, zeros included) and each project's tasks near
  // their deadline at now_ms, read from the store.
  std::string Render(store::Store& store, int64_t now_ms) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
};

}  // namespace plumb::http
