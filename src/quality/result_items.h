#pragma once
// Internal to plumb_quality: a normalized result (docs/api.md, "Result
// format") read into typed answers per control, for consensus and grading.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "quality/geometry.h"

namespace plumb::quality::internal {

// One region item. Which members are set depends on the control's type.
struct Region {
  int32_t label = 0;                // index into the control's labels
  nlohmann::json attributes;        // an object, or null when the item has none
  Box box;                          // bbox (also one keyframe of a video track)
  std::vector<Point> points;        // polygon
  Point point;                      // keypoint
  double start = 0, end = 0;        // span: code points, or seconds on audio
  std::optional<std::string> text;  // text span: the covered text
  std::string track;                // video bbox
  int64_t frame = 0;                // video bbox
  bool outside = false;             // video bbox
};

// One result's answer to one control.
struct ControlAnswer {
  bool answered = false;        // an item for the control is present
  std::vector<int32_t> values;  // choice: label indexes, in the item's order
  std::string text;             // text: the value as UTF-8 ...
  std::u32string code_points;   // ... and as code points
  int32_t rating = 0;
  std::vector<Region> regions;  // region controls, in result order
};

// The answers of one result, indexed like schema.controls.
using ParsedResult = std::vector<ControlAnswer>;

// Reads `result_json` (a JSON list of items) against `schema`. Errors are
// kInvalidArgument with `field` like "<what>[2].x": unparsable JSON, an item
// of an unknown control, a key missing or of the wrong type, a label not of
// the control, a second item for a non-region control, text not UTF-8.
Result<ParsedResult> ParseResult(const Schema& schema, std::string_view result_json,
                                 const std::string& what);

// The index of `control` in `schema.controls`.
size_t ControlIndex(const Schema& schema, const Control& control);

}  // namespace plumb::quality::internal
