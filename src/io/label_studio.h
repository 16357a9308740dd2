#pragma once
// Label Studio's result format and labeling config, for callers outside the
// Label Studio file reader and writer (the ML-backend client speaks Label
// Studio's ML-backend protocol with the same translation; docs/formats.md,
// "Label Studio"). Pure functions; thread-safe.

#include <nlohmann/json.hpp>

#include "core/core.h"

namespace plumb::io {

// A Label Studio result list (`[{from_name, type, value, ...}]`) as a Plumb
// result list, for a task with `data`; the media size its image regions are
// in goes to *media (left null when none). kInvalidArgument whose field
// names the item under `field` (e.g. "results[2].result[0].value").
// The result is not validated against the schema: callers do that.
Result<nlohmann::json> FromLabelStudioResult(const Schema& schema, const nlohmann::json& result,
                                             const nlohmann::json& data, const std::string& field,
                                             nlohmann::json* media);

// A Plumb result as Label Studio's, image geometry in percent of `media`.
Result<nlohmann::json> ToLabelStudioResult(const Schema& schema, const nlohmann::json& result,
                                           const nlohmann::json& media);

// The schema as a Label Studio labeling config (`<View>…</View>`): an
// object tag per source field (Image, Text, Audio, by what its controls
// label) and a control tag per control, names as in the schema, values
// XML-escaped.
std::string LabelStudioConfig(const Schema& schema);

}  // namespace plumb::io
