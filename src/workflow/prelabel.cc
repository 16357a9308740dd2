#include "workflow/prelabel.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace plumb::workflow {
namespace {

using nlohmann::json;

constexpr double kTolerance = 1e-3;

bool Same(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    return std::fabs(a.get<double>() - b.get<double>()) <= kTolerance;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    // Region ids are the editor's bookkeeping, not the label.
    auto keys = [](const json& o) {
      size_t n = 0;
      for (auto it = o.begin(); it != o.end(); ++it) n += it.key() != "id";
      return n;
    };
    if (keys(a) != keys(b)) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (it.key() == "id") continue;
      auto other = b.find(it.key());
      if (other == b.end() || !Same(*it, *other)) return false;
    }
    return true;
  }
  return a == b;
}

struct Matched {
  size_t proposed = 0;
  size_t submitted = 0;
  size_t kept = 0;
};

// Matches each proposed item to a distinct equal submitted item.
Matched Match(std::string_view proposed_json, std::string_view submitted_json) {
  json proposed = json::parse(proposed_json, nullptr, false);
  json submitted = json::parse(submitted_json, nullptr, false);
  if (!proposed.is_array()) proposed = json::array();
  if (!submitted.is_array()) submitted = json::array();
  std::vector<bool> used(submitted.size(), false);
  Matched m{proposed.size(), submitted.size(), 0};
  for (const json& item : proposed) {
    for (size_t i = 0; i < submitted.size(); ++i) {
      if (!used[i] && Same(item, submitted[i])) {
        used[i] = true;
        ++m.kept;
        break;
      }
    }
  }
  return m;
}

}  // namespace

double PredictionAccuracy(std::string_view prediction_result_json,
                          std::string_view final_result_json) {
  const Matched m = Match(prediction_result_json, final_result_json);
  const size_t larger = std::max(m.proposed, m.submitted);
  return larger == 0 ? 1.0 : static_cast<double>(m.kept) / static_cast<double>(larger);
}

store::PrelabelOutcome ComparePrelabel(std::string_view prelabel_result_json,
                                       std::string_view submitted_result_json) {
  const Matched m = Match(prelabel_result_json, submitted_result_json);
  if (m.kept == m.proposed && m.kept == m.submitted) return store::PrelabelOutcome::kUnchanged;
  if (m.kept == 0 && m.proposed > 0) return store::PrelabelOutcome::kDiscarded;
  return store::PrelabelOutcome::kEdited;
}

}  // namespace plumb::workflow
