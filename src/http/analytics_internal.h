#pragma once
// Shared by the analytics and trust-but-verify handlers (docs/analytics.md):
// the from/to range, and CSV replies of JSON tables.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/api_internal.h"

namespace plumb::http {

struct Range {
  int64_t from_ms = 0;  // inclusive
  int64_t to_ms = 0;    // exclusive
};

// `from` and `to` of the query: ISO dates ("2026-12-01", midnight UTC) or
// times; defaults: to = now, from = to - default_days. kInvalidArgument
// naming the parameter for a bad one or from >= to.
Result<Range> ParseRange(const Ctx& ctx, int default_days);

// Whether the caller asked for ?format=csv.
bool WantsCsv(const Ctx& ctx);

// `rows` (JSON objects) as a CSV file: the columns are the union of the rows'
// keys, nested objects flattened with dots ("golden.accuracy"), lists of
// objects keyed by their "control" or "currency" ("kappa.pet.kappa"), other
// lists joined with "|". Strings are quoted as exports quote them.
Reply CsvReply(const std::string& table, int64_t project_id, const nlohmann::json& rows);

// Golden accuracy {graded, correct, accuracy, low, high} with a 95 % Wilson
// interval; the ratios are null without grades.
nlohmann::json GoldenJson(int64_t graded, int64_t correct);
// Agreement with consensus {compared, mean}; mean null when none compared.
nlohmann::json AgreementMeanJson(int64_t compared, double sum);

std::vector<Route> AnalyticsRoutes();  // figures per project, labeler, workforce, day
std::vector<Route> TrustRoutes();      // samples, predictions, disagreements

}  // namespace plumb::http
