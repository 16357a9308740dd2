#pragma once
// The report of a bake-off (docs/bakeoffs.md): reads the bake-off, its golden
// set and every candidate's labels from the store, scores each candidate
// with quality/bakeoff.h, adds speed and cost from its pricing, ranks them
// by the weights and tests the gap between the top two. The same JSON feeds
// the API, the report page, the HTML export and `plumb bakeoff report`.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/core.h"
#include "store/store.h"

namespace plumb::workflow {

// The report as JSON (docs/bakeoffs.md, "Report"). `weights` overrides the
// bake-off's own. kNotFound for the bake-off; kInvalidArgument when a stored
// label no longer fits the project's schema.
Result<nlohmann::json> BakeoffReport(store::Store& store, const Project& project,
                                     const store::Bakeoff& bakeoff,
                                     const std::optional<store::BakeoffWeights>& weights,
                                     int64_t now_ms);

// "per_label", "per_hour", "quote"; "workforce", "vendor".
const char* CandidatePricingName(store::CandidatePricing pricing);
std::optional<store::CandidatePricing> ParseCandidatePricing(std::string_view name);
const char* CandidateKindName(store::CandidateKind kind);

}  // namespace plumb::workflow
