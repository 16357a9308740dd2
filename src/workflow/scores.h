#pragma once
// What a completion adds besides the final label (docs/analytics.md): the
// agreement counters of the task's annotations with it and between them, and
// the disagreement of each of its predictions with it. Pure functions.

#include <string>
#include <vector>

#include "core/core.h"
#include "store/store.h"

namespace plumb::workflow {

// The counters of a task completed with `final_result_json` from `current`
// (2+ annotations; none otherwise): each labeler's `agree` score (grading the
// annotation against the final label), and per single-choice control the
// labeler's `cm` cell and the project's Fleiss and Krippendorff sums.
std::vector<store::StatDelta> AgreementStats(const Schema& schema,
                                             const std::vector<Revision>& current,
                                             const std::string& final_result_json,
                                             double iou_threshold);

// The disagreement of each prediction with the final label, rounded to 1e-6
// so that its decimal text round-trips on both backends (pagination compares
// scores for equality).
std::vector<store::Disagreement> DisagreementScores(
    const Schema& schema, const std::vector<store::Prediction>& predictions,
    const std::string& final_result_json, double iou_threshold);

// The classes of a result: choice values and region labels, each once, in
// order of appearance, as a JSON list.
std::string ResultClassesJson(const std::string& result_json);

}  // namespace plumb::workflow
