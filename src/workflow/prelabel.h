#pragma once
// How a submitted result relates to the pre-label it started from
// (docs/automation.md, "Measuring"). Internal to src/workflow.

#include <string_view>

#include "store/store.h"

namespace plumb::workflow {

// Compares two normalized results item by item, ignoring region ids (the
// editor may renumber them) and allowing 0.001 of a pixel or second in
// numbers (screen ↔ pixel round trips): kUnchanged when both hold the same
// items, kDiscarded when no item of a non-empty pre-label is in the result,
// kEdited otherwise.
store::PrelabelOutcome ComparePrelabel(std::string_view prelabel_result_json,
                                       std::string_view submitted_result_json);

// How much of a prediction the accepted label kept: matched items (as
// ComparePrelabel matches them) over the larger of the two results' item
// counts; 1 when both are empty. For a single choice: 1 right, 0 wrong.
double PredictionAccuracy(std::string_view prediction_result_json,
                          std::string_view final_result_json);

}  // namespace plumb::workflow
