// The counters and disagreement scores a completion adds (scores.h), by hand.

#include "workflow/scores.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/stats.h"

namespace plumb::workflow {
namespace {

using nlohmann::json;

Schema MustParse(const char* text) {
  Result<Schema> schema = ParseSchema(text);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : Schema{};
}

constexpr char kMixed[] =
    R"({"controls":[{"name":"pet","type":"choice","source":"image","labels":["cat","dog","fox"]},)"
    R"({"name":"boxes","type":"bbox","source":"image","labels":["car","person"]},)"
    R"({"name":"note","type":"text","source":"image","required":false}]})";

std::string Box(const std::string& label, double x, double y, double w, double h) {
  return json{{"control", "boxes"}, {"type", "bbox"}, {"label", label}, {"x", x},
              {"y", y},             {"w", w},         {"h", h},         {"rotation", 0}}
      .dump();
}

std::string Pet(const std::string& v) {
  return R"({"control":"pet","type":"choice","values":[")" + v + R"("]})";
}

store::Prediction Predicted(int64_t id, const std::string& result, std::optional<double> score) {
  store::Prediction p;
  p.id = id;
  p.task_id = 9;
  p.model_name = "m";
  p.result_json = result;
  p.score = score;
  return p;
}

double ControlScore(const store::Disagreement& d, const std::string& control) {
  for (const json& c : json::parse(d.controls_json)) {
    if (c["control"] == control) return c["score"].get<double>();
  }
  return -1;
}

TEST(DisagreementScores, EachControlTypeByItsRuleAndTheWorstWins) {
  const Schema schema = MustParse(kMixed);
  const std::string final_label = "[" + Pet("cat") + "," + Box("car", 0, 0, 10, 10) + "," +
                                  Box("person", 50, 50, 10, 10) +
                                  R"(,{"control":"note","type":"text","value":"abcd"}])";
  // Same class at p = 0.9; one of two boxes found (F1 2/3 → 1/3); text one
  // edit in four (CER 0.25).
  auto scores = DisagreementScores(
      schema,
      {Predicted(1,
                 "[" + Pet("cat") + "," + Box("car", 0, 0, 10, 10) +
                     R"(,{"control":"note","type":"text","value":"abcx"}])",
                 0.9)},
      final_label, 0.5);
  ASSERT_EQ(scores.size(), 1u);
  EXPECT_NEAR(ControlScore(scores[0], "pet"), 0.1, 1e-9);
  EXPECT_NEAR(ControlScore(scores[0], "boxes"), 1 - 2.0 / 3, 1e-6);
  EXPECT_NEAR(ControlScore(scores[0], "note"), 0.25, 1e-9);
  EXPECT_NEAR(scores[0].score, 1 - 2.0 / 3, 1e-6);
  EXPECT_EQ(json::parse(scores[0].labels_json), json::parse(R"(["cat","car","person"])"));

  // Another class at p = 0.6 of three labels: 1 - 0.4 / 2; a box shifted
  // below the IoU threshold matches nothing; a missing text control is 1.
  scores = DisagreementScores(
      schema, {Predicted(2, "[" + Pet("dog") + "," + Box("car", 6, 6, 10, 10) + "]", 0.6)},
      final_label, 0.5);
  ASSERT_EQ(scores.size(), 1u);
  EXPECT_NEAR(ControlScore(scores[0], "pet"), 0.8, 1e-9);
  EXPECT_NEAR(ControlScore(scores[0], "boxes"), 1.0, 1e-9);
  EXPECT_NEAR(ControlScore(scores[0], "note"), 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(scores[0].score, 1.0);

  // No score: a hard prediction, right (0) or wrong (1).
  scores = DisagreementScores(schema, {Predicted(3, "[" + Pet("fox") + "]", std::nullopt)},
                              "[" + Pet("fox") + "]", 0.5);
  EXPECT_DOUBLE_EQ(scores[0].score, 0);
  scores = DisagreementScores(schema, {Predicted(4, "[" + Pet("dog") + "]", std::nullopt)},
                              "[" + Pet("fox") + "]", 0.5);
  EXPECT_DOUBLE_EQ(scores[0].score, 1);
}

TEST(AgreementStats, ThreeRatersOfOneItem) {
  const Schema schema = MustParse(kMixed);
  auto rev = [](int64_t user, const std::string& v) {
    Revision r;
    r.user_id = user;
    r.result_json = "[" + Pet(v) + "]";
    return r;
  };
  auto deltas = AgreementStats(schema, {rev(1, "cat"), rev(2, "cat"), rev(3, "dog")},
                               "[" + Pet("cat") + "]", 0.5);
  std::map<std::pair<int64_t, std::string>, std::pair<int64_t, double>> sums;
  for (const auto& d : deltas) {
    sums[{d.user_id, d.metric}].first += d.count;
    sums[{d.user_id, d.metric}].second += d.sum;
  }
  auto got = [&](int64_t user, const std::string& metric) { return sums[{user, metric}]; };
  auto has = [&](int64_t user, const std::string& metric) { return sums.count({user, metric}) > 0; };
  EXPECT_EQ(got(1, stats::kAgree), std::make_pair(int64_t{1}, 1.0));
  EXPECT_EQ(got(3, stats::kAgree), std::make_pair(int64_t{1}, 0.0));
  EXPECT_EQ(got(3, stats::ConfusionMetric(0, 0, 1)).first, 1);
  // P_i = (2·1 + 0) / (3·2) = 1/3; ratings cat 2, dog 1.
  EXPECT_NEAR(got(0, stats::FleissMetric(0)).second, 1.0 / 3, 1e-12);
  EXPECT_EQ(got(0, stats::FleissCategoryMetric(0, 0)).first, 2);
  EXPECT_EQ(got(0, stats::FleissCategoryMetric(0, 1)).first, 1);
  // Coincidences of (cat, cat, dog), weight 1/2: cat-cat 1, cat-dog 1, dog-cat 1.
  EXPECT_NEAR(got(0, stats::CoincidenceMetric(0, 0, 0)).second, 1, 1e-12);
  EXPECT_NEAR(got(0, stats::CoincidenceMetric(0, 0, 1)).second, 1, 1e-12);
  EXPECT_NEAR(got(0, stats::CoincidenceMetric(0, 1, 0)).second, 1, 1e-12);
  EXPECT_FALSE(has(0, stats::CoincidenceMetric(0, 1, 1)));
  // One annotation: nothing to agree with.
  EXPECT_TRUE(AgreementStats(schema, {rev(1, "cat")}, "[" + Pet("cat") + "]", 0.5).empty());
}

TEST(StatBuckets, DurationsAndDays) {
  EXPECT_EQ(stats::DurationBucket(0), 0);
  EXPECT_EQ(stats::DurationBucket(99), 0);
  EXPECT_EQ(stats::DurationBucket(100), 1);
  // Every duration lies within its bucket's ±4.5 % of the middle.
  for (int64_t ms : {150, 2000, 4000, 61'000, 3'600'000}) {
    const double middle = stats::BucketMiddleMs(stats::DurationBucket(ms));
    EXPECT_NEAR(middle / static_cast<double>(ms), 1.0, 0.045) << ms;
  }
  EXPECT_EQ(stats::DayOf(0), 0);
  EXPECT_EQ(stats::DayOf(86'400'000 - 1), 0);
  EXPECT_EQ(stats::DayOf(86'400'000), 1);
  EXPECT_EQ(stats::DayOf(-1), -1);
}

}  // namespace
}  // namespace plumb::workflow
