#include "workflow/bakeoff.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "quality/bakeoff.h"

namespace plumb::workflow {
namespace {

using nlohmann::json;

json Number(double v) { return std::isfinite(v) ? json(v) : json(); }

json IntervalJson(const quality::Interval& i) {
  return {{"estimate", Number(i.estimate)}, {"low", Number(i.low)}, {"high", Number(i.high)}};
}

json OptionalTime(const std::optional<int64_t>& ms) {
  return ms ? json(FormatIsoTime(*ms)) : json();
}

constexpr double kMsPerHour = 3600.0 * 1000.0;

}  // namespace

const char* CandidatePricingName(store::CandidatePricing pricing) {
  switch (pricing) {
    case store::CandidatePricing::kPerLabel:
      return "per_label";
    case store::CandidatePricing::kPerHour:
      return "per_hour";
    case store::CandidatePricing::kQuote:
      return "quote";
  }
  return "per_label";
}

std::optional<store::CandidatePricing> ParseCandidatePricing(std::string_view name) {
  if (name == "per_label") return store::CandidatePricing::kPerLabel;
  if (name == "per_hour") return store::CandidatePricing::kPerHour;
  if (name == "quote") return store::CandidatePricing::kQuote;
  return std::nullopt;
}

const char* CandidateKindName(store::CandidateKind kind) {
  return kind == store::CandidateKind::kVendor ? "vendor" : "workforce";
}

Result<json> BakeoffReport(store::Store& store, const Project& project,
                           const store::Bakeoff& bakeoff,
                           const std::optional<store::BakeoffWeights>& weights, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(store::GoldenSet set, store.GetGoldenSet(bakeoff.golden_set_id));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::GoldenSetItem> items,
                         store.ListGoldenSetItems(bakeoff.golden_set_id));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::BakeoffLabel> labels,
                         store.ListBakeoffLabels(bakeoff.id));
  std::vector<quality::GoldenTask> golden;
  for (const store::GoldenSetItem& item : items) {
    golden.push_back({item.task_id, item.answer.result_json});
  }
  quality::BakeoffOptions options;
  options.iou_threshold = project.settings.iou_threshold;
  // One seed per bake-off: the same report every time it is asked for.
  options.seed = static_cast<uint64_t>(bakeoff.id) * 7919u + 17u;
  const store::BakeoffWeights w = weights.value_or(bakeoff.weights);

  std::map<int64_t, std::vector<const store::BakeoffLabel*>> by_candidate;
  for (const store::BakeoffLabel& l : labels) by_candidate[l.candidate_id].push_back(&l);

  json candidates = json::array();
  std::vector<quality::RankingInput> ranking_inputs;
  std::vector<std::vector<double>> task_scores;
  for (const store::BakeoffCandidate& c : bakeoff.candidates) {
    std::map<int64_t, std::string> results;
    int64_t lead_ms = 0, last_ms = 0, off_version = 0;
    std::set<int64_t> labelers;
    for (const store::BakeoffLabel* l : by_candidate[c.id]) {
      results[l->task_id] = l->result_json;
      lead_ms += l->lead_time_ms;
      last_ms = std::max(last_ms, l->created_at_ms);
      if (l->user_id) labelers.insert(*l->user_id);
      if (c.kind == store::CandidateKind::kWorkforce &&
          l->instructions_version != bakeoff.instructions_version) {
        ++off_version;
      }
    }
    PLUMB_ASSIGN_OR_RETURN(quality::CandidateAccuracy acc,
                           quality::ScoreCandidate(*schema, golden, results, options));
    const int64_t n_labels = static_cast<int64_t>(results.size());
    const double active_hours = static_cast<double>(lead_ms) / kMsPerHour;
    // Speed: from sending to the last label (a vendor's: its returned file).
    std::optional<double> turnaround;
    const std::optional<int64_t> finished =
        c.kind == store::CandidateKind::kVendor
            ? c.returned_at_ms
            : (n_labels > 0 ? std::optional(last_ms) : std::nullopt);
    if (c.sent_at_ms && finished) {
      turnaround = static_cast<double>(std::max<int64_t>(*finished - *c.sent_at_ms, 0));
    }
    json labels_per_hour;
    if (c.kind == store::CandidateKind::kWorkforce && lead_ms > 0) {
      labels_per_hour = static_cast<double>(n_labels) / active_hours;
    }
    std::optional<double> cost;
    switch (c.pricing_model) {
      case store::CandidatePricing::kPerLabel:
        cost = c.rate * static_cast<double>(n_labels);
        break;
      case store::CandidatePricing::kPerHour:
        // Hours are active labeling time, which only Plumb's editor (or a
        // file that carries lead times) knows.
        if (lead_ms > 0 || n_labels == 0) cost = c.rate * active_hours;
        break;
      case store::CandidatePricing::kQuote:
        cost = c.rate;
        break;
    }
    json controls = json::array();
    for (const quality::ControlFigures& f : acc.controls) {
      json figures = json::array();
      for (const quality::Figure& fig : f.figures) {
        json j = IntervalJson(fig.value);
        j["metric"] = fig.metric;
        figures.push_back(std::move(j));
      }
      json classes = json::array();
      for (const quality::ClassFigure& k : f.classes) {
        json j = {{"label", k.label},
                  {"precision", Number(k.precision)},
                  {"recall", Number(k.recall)},
                  {"f1", Number(k.f1)},
                  {"support", k.support}};
        if (k.ap) j["ap"] = Number(*k.ap);
        classes.push_back(std::move(j));
      }
      controls.push_back({{"control", f.control},
                          {"type", f.type},
                          {"tasks", f.tasks},
                          {"figures", figures},
                          {"classes", classes}});
    }
    json worst = json::array();
    for (const quality::TaskScore& t : acc.worst) {
      json per = json::array();
      for (const quality::ControlAgreement& a : t.controls) {
        per.push_back({{"control", a.control}, {"score", Number(a.agreement)}});
      }
      worst.push_back({{"task_id", t.task_id},
                       {"answered", t.answered},
                       {"score", t.score},
                       {"controls", per}});
    }
    std::vector<double> scores;
    for (const quality::TaskScore& t : acc.tasks) scores.push_back(t.score);
    task_scores.push_back(std::move(scores));
    ranking_inputs.push_back(
        {Number(acc.score.estimate).is_null() ? 0 : acc.score.estimate, turnaround, cost});
    json cost_json = {
        {"currency", c.currency},
        {"total", cost ? json(*cost) : json()},
        {"per_task", cost && n_labels > 0 ? json(*cost / n_labels) : json()},
        {"per_correct", cost && acc.correct > 0 ? json(*cost / acc.correct) : json()}};
    candidates.push_back({{"id", c.id},
                          {"name", c.name},
                          {"kind", CandidateKindName(c.kind)},
                          {"workforce_id", c.workforce_id ? json(*c.workforce_id) : json()},
                          {"format", c.format.empty() ? json() : json(c.format)},
                          {"pricing",
                           {{"model", CandidatePricingName(c.pricing_model)},
                            {"rate", c.rate},
                            {"currency", c.currency}}},
                          {"sent_at", OptionalTime(c.sent_at_ms)},
                          {"returned_at", OptionalTime(c.returned_at_ms)},
                          {"labels", n_labels},
                          {"coverage", golden.empty() ? json()
                                                      : json(static_cast<double>(n_labels) /
                                                             static_cast<double>(golden.size()))},
                          {"accuracy",
                           {{"score", IntervalJson(acc.score)},
                            {"correct", acc.correct},
                            {"correct_share", IntervalJson(acc.correct_share)},
                            {"controls", controls}}},
                          {"worst_tasks", worst},
                          {"speed",
                           {{"turnaround_ms", turnaround ? json(*turnaround) : json()},
                            {"labels_per_hour", labels_per_hour},
                            {"active_hours", active_hours},
                            {"labelers", static_cast<int64_t>(labelers.size())}}},
                          {"cost", cost_json},
                          {"off_version_labels", off_version}});
  }
  quality::RankingWeights rw{static_cast<double>(w.accuracy), static_cast<double>(w.speed),
                             static_cast<double>(w.cost)};
  std::vector<quality::RankedCandidate> ranked = quality::RankCandidates(ranking_inputs, rw);
  json ranking = json::array();
  for (size_t r = 0; r < ranked.size(); ++r) {
    json& c = candidates[ranked[r].index];
    c["rank"] = static_cast<int64_t>(r + 1);
    c["rank_score"] = ranked[r].score;
    c["relative"] = {
        {"accuracy", ranked[r].accuracy}, {"speed", ranked[r].speed}, {"cost", ranked[r].cost}};
    ranking.push_back(c["id"]);
  }
  json comparison;
  if (ranked.size() >= 2) {
    const size_t a = ranked[0].index, b = ranked[1].index;
    quality::PairedComparison pc = quality::ComparePaired(task_scores[a], task_scores[b], options);
    comparison = {{"first", candidates[a]["id"]},
                  {"second", candidates[b]["id"]},
                  {"metric", "task score"},
                  {"difference", IntervalJson(pc.difference)},
                  {"p_value", pc.p_value},
                  {"significant", pc.significant},
                  {"method", "paired bootstrap interval and sign-flip permutation test"},
                  {"tasks", static_cast<int64_t>(golden.size())}};
  }
  return json{
      {"bakeoff",
       {{"id", bakeoff.id},
        {"project_id", bakeoff.project_id},
        {"project", project.name},
        {"name", bakeoff.name},
        {"state", bakeoff.closed ? "closed" : "open"},
        {"instructions_version", bakeoff.instructions_version},
        {"created_at", FormatIsoTime(bakeoff.created_at_ms)},
        {"closed_at", OptionalTime(bakeoff.closed_at_ms)},
        {"golden_set",
         {{"id", set.id}, {"name", set.name}, {"version", set.version}, {"tasks", set.tasks}}}}},
      {"weights", {{"accuracy", w.accuracy}, {"speed", w.speed}, {"cost", w.cost}}},
      {"level", options.level},
      {"resamples", options.resamples},
      {"candidates", candidates},
      {"ranking", ranking},
      {"comparison", comparison},
      {"generated_at", FormatIsoTime(now_ms)}};
}

}  // namespace plumb::workflow
