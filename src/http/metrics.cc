#include "http/metrics.h"

#include <sstream>

namespace plumb::http {

std::shared_ptr<Metrics> NewMetrics() { return std::make_shared<Metrics>(); }

void Metrics::Record(const std::string& route, const std::string& method, int status,
                     double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render(store::Store& store) const {
  std::ostringstream out;
  {
    std::lock_guard lock(mu_);
    out << "# HELP plumb_http_requests_total HTTP requests by route, method and status.\n"
        << "# TYPE plumb_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      const auto& [route, method, status] = key;
      out << "plumb_http_requests_total{route=\"" << route << "\",method=\"" << method
          << "\",status=\"" << status << "\"} " << count << "\n";
    }
    out << "# HELP plumb_http_request_duration_seconds Time to handle a request, by route.\n"
        << "# TYPE plumb_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_) {
      // Buckets are counted non-cumulatively per bound above, so each
      // observation lands in every bucket it fits: already cumulative.
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        out << "plumb_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\""
            << kBuckets[i] << "\"} " << h.buckets[i] << "\n";
      }
      out << "plumb_http_request_duration_seconds_bucket{route=\"" << route
          << "\",le=\"+Inf\"} " << h.count << "\n"
          << "plumb_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum
          << "\n"
          << "plumb_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count
          << "\n";
    }
  }
  out << "# HELP plumb_tasks Tasks by project and state.\n# TYPE plumb_tasks gauge\n";
  auto counts = store.CountTasksByState();
  if (counts.ok()) {
    for (const store::TaskStateCount& c : *counts) {
      out << "plumb_tasks{project=\"" << c.project_id << "\",state=\"" << TaskStateName(c.state)
          << "\"} " << c.count << "\n";
    }
  }
  return out.str();
}

}  // namespace plumb::http
