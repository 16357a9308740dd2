#include "core/stats.h"

#include <charconv>
#include <cmath>

namespace plumb::stats {

std::string ConfusionMetric(int control, int truth, int given) {
  return "cm." + std::to_string(control) + "." + std::to_string(truth) + "." +
         std::to_string(given);
}

std::string ModelKey(std::string_view model_name, std::string_view model_version) {
  std::string key;
  for (char ch : model_name) {
    if (ch == '%') {
      key += "%25";
    } else if (ch == '@') {
      key += "%40";
    } else {
      key += ch;
    }
  }
  if (!model_version.empty()) {
    key += '@';
    key += model_version;
  }
  return key;
}

std::pair<std::string, std::string> SplitModelKey(std::string_view key) {
  const size_t at = key.find('@');
  const std::string_view escaped = key.substr(0, at);
  std::string name;
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped.substr(i, 3) == "%40") {
      name += '@';
      i += 2;
    } else if (escaped.substr(i, 3) == "%25") {
      name += '%';
      i += 2;
    } else {
      name += escaped[i];
    }
  }
  return {name, at == std::string_view::npos ? std::string() : std::string(key.substr(at + 1))};
}

std::string ByVersion(const char* metric, int64_t version) {
  return std::string(metric) + ".v" + std::to_string(version);
}

std::optional<int64_t> VersionOf(std::string_view name, std::string_view metric) {
  if (!name.starts_with(metric)) return std::nullopt;
  name.remove_prefix(metric.size());
  if (!name.starts_with(".v") || name.size() < 3) return std::nullopt;
  name.remove_prefix(2);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
  if (ec != std::errc() || end != name.data() + name.size() || v < 0) return std::nullopt;
  return v;
}

std::string FleissMetric(int control) { return "fleiss." + std::to_string(control); }

std::string FleissCategoryMetric(int control, int label) {
  return "fcat." + std::to_string(control) + "." + std::to_string(label);
}

std::string CoincidenceMetric(int control, int a, int b) {
  return "coinc." + std::to_string(control) + "." + std::to_string(a) + "." + std::to_string(b);
}

namespace {
constexpr double kFirstBucketMs = 100;
constexpr double kBucketsPerDoubling = 8;
constexpr int kMaxBucket = 400;  // ~10^12 ms; keeps garbage durations in range
}  // namespace

int DurationBucket(int64_t ms) {
  if (ms < kFirstBucketMs) return 0;
  const double b = std::floor(std::log2(static_cast<double>(ms) / kFirstBucketMs) *
                              kBucketsPerDoubling) + 1;
  return b > kMaxBucket ? kMaxBucket : static_cast<int>(b);
}

double BucketMiddleMs(int bucket) {
  if (bucket <= 0) return kFirstBucketMs / 2;
  return kFirstBucketMs * std::exp2((bucket - 0.5) / kBucketsPerDoubling);
}

int64_t DayOf(int64_t ms) {
  constexpr int64_t kDayMs = 86'400'000;
  return ms >= 0 ? ms / kDayMs : -((-ms + kDayMs - 1) / kDayMs);
}

}  // namespace plumb::stats
