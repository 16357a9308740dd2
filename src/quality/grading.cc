#include "quality/grading.h"

#include <algorithm>
#include <set>

#include "quality/regions.h"
#include "quality/result_items.h"
#include "quality/text_distance.h"

namespace plumb::quality {
namespace {

using internal::ControlAnswer;

double ChoiceScore(const Control& control, const ControlAnswer& answer,
                   const ControlAnswer& result) {
  std::set<int32_t> a(answer.values.begin(), answer.values.end());
  std::set<int32_t> r(result.values.begin(), result.values.end());
  if (!control.multiple) return a == r ? 1 : 0;
  size_t both = std::count_if(a.begin(), a.end(), [&](int32_t v) { return r.contains(v); });
  size_t either = a.size() + r.size() - both;
  return either == 0 ? 1 : static_cast<double>(both) / static_cast<double>(either);
}

double TextScore(const ControlAnswer& answer, const ControlAnswer& result) {
  if (answer.code_points.empty()) return result.code_points.empty() ? 1 : 0;
  double cer = static_cast<double>(EditDistance(answer.code_points, result.code_points)) /
               static_cast<double>(answer.code_points.size());
  return std::max(0.0, 1 - cer);
}

}  // namespace

Result<Grade> GradeAgainstAnswer(const Schema& schema, std::string_view answer_result_json,
                                 std::string_view result_json, double iou_threshold,
                                 double keypoint_distance) {
  PLUMB_ASSIGN_OR_RETURN(internal::ParsedResult answer,
                         internal::ParseResult(schema, answer_result_json, "answer"));
  PLUMB_ASSIGN_OR_RETURN(internal::ParsedResult result,
                         internal::ParseResult(schema, result_json, "result"));
  Grade grade;
  double sum = 0;
  for (size_t i = 0; i < schema.controls.size(); ++i) {
    const Control& control = schema.controls[i];
    const ControlAnswer& a = answer[i];
    const ControlAnswer& r = result[i];
    if (!a.answered && !r.answered) continue;
    double score = 0;
    if (a.answered && r.answered) {
      switch (control.type) {
        case ControlType::kChoice:
          score = ChoiceScore(control, a, r);
          break;
        case ControlType::kText:
          score = TextScore(a, r);
          break;
        case ControlType::kRating:
          score = a.rating == r.rating ? 1 : 0;
          break;
        default:
          score =
              internal::RegionF1(control, a.regions, r.regions, iou_threshold, keypoint_distance);
          break;
      }
    }
    grade.controls.push_back({control.name, score});
    sum += score;
  }
  grade.score = grade.controls.empty() ? 1 : sum / static_cast<double>(grade.controls.size());
  grade.correct = grade.score >= kCorrectScore;
  return grade;
}

}  // namespace plumb::quality
