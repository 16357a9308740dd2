#include "workflow/scores.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/stats.h"
#include "quality/quality.h"

namespace plumb::workflow {
namespace {

double Round6(double v) { return std::round(v * 1e6) / 1e6; }

// The label index each annotation gave a single-choice control, or -1.
int32_t ChoiceOf(const Control& control, const std::string& result_json) {
  std::vector<quality::ChoiceVote> votes = quality::ChoiceVotes(control, 0, 0, result_json);
  return votes.empty() ? -1 : votes.front().label;
}

}  // namespace

std::vector<store::StatDelta> AgreementStats(const Schema& schema,
                                             const std::vector<Revision>& current,
                                             const std::string& final_result_json,
                                             double iou_threshold) {
  std::vector<store::StatDelta> out;
  if (current.size() < 2) return out;
  for (const Revision& r : current) {
    Result<quality::Grade> grade =
        quality::GradeAgainstAnswer(schema, final_result_json, r.result_json, iou_threshold);
    if (!grade.ok()) continue;
    out.push_back({r.user_id, stats::kAgree, 1, grade->score});
    out.push_back(
        {r.user_id, stats::ByVersion(stats::kAgree, r.instructions_version), 1, grade->score});
  }
  for (size_t ci = 0; ci < schema.controls.size(); ++ci) {
    const Control& control = schema.controls[ci];
    if (control.type != ControlType::kChoice || control.multiple) continue;
    const int c = static_cast<int>(ci);
    const int32_t truth = ChoiceOf(control, final_result_json);
    std::map<int32_t, int64_t> counts;  // label -> ratings
    int64_t n = 0;
    for (const Revision& r : current) {
      const int32_t given = ChoiceOf(control, r.result_json);
      if (given < 0) continue;
      if (truth >= 0) out.push_back({r.user_id, stats::ConfusionMetric(c, truth, given), 1, 0});
      ++counts[given];
      ++n;
    }
    if (n < 2) continue;  // not pairable
    // One item's share of the running sums, from the quality library's
    // accumulators so the analytics can restore and read them.
    const size_t k = control.labels.size();
    std::vector<int64_t> per_label(k, 0);
    std::vector<int32_t> values;
    for (const auto& [label, count] : counts) {
      if (static_cast<size_t>(label) < k) per_label[label] = count;
      values.insert(values.end(), count, label);
      out.push_back({0, stats::FleissCategoryMetric(c, label), count, 0});
    }
    quality::FleissSums item;
    item.Add(per_label);
    out.push_back({0, stats::FleissMetric(c), 1, item.agreement_sum});
    quality::CoincidenceMatrix coincidences(static_cast<int32_t>(k));
    coincidences.Add(values);
    for (const auto& [a, ka] : counts) {
      for (const auto& [b, kb] : counts) {
        const double v = coincidences.at(a, b);
        if (v > 0) out.push_back({0, stats::CoincidenceMetric(c, a, b), 0, v});
      }
    }
  }
  return out;
}

std::vector<store::Disagreement> DisagreementScores(
    const Schema& schema, const std::vector<store::Prediction>& predictions,
    const std::string& final_result_json, double iou_threshold) {
  std::vector<store::Disagreement> out;
  const std::string classes = ResultClassesJson(final_result_json);
  for (const store::Prediction& p : predictions) {
    Result<quality::Grade> grade =
        quality::GradeAgainstAnswer(schema, final_result_json, p.result_json, iou_threshold);
    if (!grade.ok()) continue;  // a prediction that no longer fits the schema
    nlohmann::json controls = nlohmann::json::array();
    double worst = 0;
    for (const quality::ControlAgreement& g : grade->controls) {
      const Control* control = schema.FindControl(g.control);
      double score = 1 - g.agreement;
      if (control != nullptr && control->type == ControlType::kChoice && !control->multiple) {
        const int32_t truth = ChoiceOf(*control, final_result_json);
        const int32_t predicted = ChoiceOf(*control, p.result_json);
        if (truth >= 0 && predicted >= 0) {
          const double prob = std::clamp(p.score.value_or(1.0), 0.0, 1.0);
          const double others = static_cast<double>(control->labels.size()) - 1;
          score = predicted == truth ? 1 - prob : 1 - (others > 0 ? (1 - prob) / others : 0);
        }
      }
      score = Round6(std::clamp(score, 0.0, 1.0));
      worst = std::max(worst, score);
      controls.push_back({{"control", g.control}, {"score", score}});
    }
    store::Disagreement d;
    d.prediction_id = p.id;
    d.task_id = p.task_id;
    d.score = worst;
    d.controls_json = controls.dump();
    d.labels_json = classes;
    out.push_back(std::move(d));
  }
  return out;
}

std::string ResultClassesJson(const std::string& result_json) {
  return nlohmann::json(ResultClasses(result_json)).dump();
}

}  // namespace plumb::workflow
