#pragma once
// Grading an annotation against the expert answer of a golden task
// (docs/workflow.md, "Golden tasks"). Pure functions, thread-safe.

#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "quality/consensus.h"

namespace plumb::quality {

// A grade at or above this score is correct.
inline constexpr double kCorrectScore = 0.8;

struct Grade {
  double score = 0;  // 0..1
  bool correct = false;
  std::vector<ControlAgreement> controls;  // the score of each control graded, in schema order
};

// Grades the normalized `result_json` against `answer_result_json` (both JSON
// lists of items). score is the mean over the controls present in the answer
// or the result (a control only one of them has scores 0):
// - choice: 1 when the values are equal; multiple: Jaccard of the value sets;
// - bbox, polygon, keypoint, span: F1 of an optimal one-to-one matching of
//   same-label regions: boxes and polygons at IoU >= iou_threshold, keypoints
//   within keypoint_distance pixels, text spans by exact (start, end), audio
//   spans at interval IoU >= iou_threshold, video keyframes per frame;
// - text: 1 - character error rate (edit distance over code points / answer
//   length), clamped at 0;
// - rating: 1 when equal.
// With no control in either, score is 1. correct = score >= kCorrectScore.
// Errors: kInvalidArgument when either cannot be parsed or does not fit the
// schema (field "answer[...]" or "result[...]").
Result<Grade> GradeAgainstAnswer(const Schema& schema, std::string_view answer_result_json,
                                 std::string_view result_json, double iou_threshold,
                                 double keypoint_distance = kKeypointDistance);

}  // namespace plumb::quality
