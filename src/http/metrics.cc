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

std::string Metrics::Render(store::Store& store, int64_t now_ms) const {
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
  // A gauge a project has no tasks in is still written as 0, so that a
  // state emptying shows as a drop rather than a vanished series.
  auto projects = store.ListProjects(std::nullopt);
  auto counts = store.CountTasksByState();
  if (!projects.ok() || !counts.ok()) return out.str();
  static constexpr TaskState kStates[] = {TaskState::kNew, TaskState::kAnnotating,
                                          TaskState::kReviewing, TaskState::kAdjudicating,
                                          TaskState::kDone};
  std::map<std::pair<int64_t, TaskState>, int64_t> by_state;
  for (const store::TaskStateCount& c : *counts) by_state[{c.project_id, c.state}] = c.count;
  out << "# HELP plumb_tasks Tasks by project and state.\n# TYPE plumb_tasks gauge\n";
  for (const Project& p : *projects) {
    for (TaskState state : kStates) {
      auto it = by_state.find({p.id, state});
      out << "plumb_tasks{project=\"" << p.id << "\",state=\"" << TaskStateName(state) << "\"} "
          << (it == by_state.end() ? 0 : it->second) << "\n";
    }
  }
  out << "# HELP plumb_tasks_near_deadline Tasks not done whose deadline is within the "
         "project's deadline_warning_seconds (or past).\n"
      << "# TYPE plumb_tasks_near_deadline gauge\n";
  for (const Project& p : *projects) {
    auto due = store.CountTasksDueBefore(
        p.id, now_ms + int64_t{p.settings.deadline_warning_seconds} * 1000);
    // Until a backend has the query, the series is left out rather than a
    // wrong 0.
    if (!due.ok()) continue;
    out << "plumb_tasks_near_deadline{project=\"" << p.id << "\"} " << *due << "\n";
  }
  return out.str();
}

}  // namespace plumb::http
