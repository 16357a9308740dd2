// API tests of the analytics and "trust but verify" (docs/analytics.md)
// against the real `plumb serve` on both backends: every figure of a seeded
// project worked out by hand, the sample gallery, predictions for existing
// tasks, the disagreement queue and sending tasks back to review.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "choice_api_fixture.h"

namespace plumb::test {
namespace {

using nlohmann::json;

class AnalyticsApiTest : public ChoiceApiTest {
 protected:
  // Takes the caller's next task and labels it; returns the task's id.
  int64_t LabelNext(const Client& who, int64_t project, const std::string& value, int64_t lead_ms) {
    auto next = who.Post(P(project, "/next"), "");
    EXPECT_EQ(next.status, 200) << next.body;
    if (next.status != 200) return 0;
    json n = Body(next);
    const int64_t task = n["task"]["id"].get<int64_t>();
    auto sub = who.Post(
        T(task, "/annotations"),
        json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}, {"lead_time_ms", lead_ms}}
            .dump());
    EXPECT_EQ(sub.status, 201) << sub.body;
    return task;
  }
};

const json& RowOf(const json& items, const std::string& key, const json& value) {
  for (const json& row : items) {
    if (row[key] == value) return row;
  }
  static const json kNone;
  ADD_FAILURE() << "no row with " << key << " = " << value << " in " << items.dump();
  return kNone;
}

// Two vendor labelers and one unpriced one on an overlap-2 project with two
// golden tasks served first (golden_rate 1): every figure worked out by hand.
TEST_P(AnalyticsApiTest, FiguresPerLabelerWorkforceAndDayAreTheHandComputedOnes) {
  int64_t mia_id = 0, ann_id = 0, bob_id = 0, cy_id = 0;
  Client manager = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  Client cy = NewUser("cy", "annotator", &cy_id);
  const int64_t project = NewProject(manager, {{"overlap", 2}, {"golden_rate", 1}}, "Analytics");
  std::vector<int64_t> tasks = Import(manager, project, 7);
  for (int64_t id : {ann_id, bob_id, cy_id}) AddMember(manager, project, id);
  // Tasks 0 and 1 are golden: positive and negative.
  ASSERT_EQ(
      Send(manager, "PUT", T(tasks[0], "/golden"), json{{"result", Choice("positive")}}.dump())
          .status,
      200);
  ASSERT_EQ(
      Send(manager, "PUT", T(tasks[1], "/golden"), json{{"result", Choice("negative")}}.dump())
          .status,
      200);
  auto vendor =
      manager.Post("/api/v1/workforces", json{{"name", "Acme"},
                                              {"kind", "vendor"},
                                              {"pricing", {{"model", "per_label"}, {"rate", 0.1}}}}
                                             .dump());
  ASSERT_EQ(vendor.status, 201) << vendor.body;
  const int64_t acme = Body(vendor)["id"].get<int64_t>();
  for (int64_t id : {ann_id, bob_id}) {
    ASSERT_EQ(manager
                  .Post("/api/v1/workforces/" + std::to_string(acme) + "/members",
                        json{{"user_id", id}}.dump())
                  .status,
              204);
  }
  ASSERT_EQ(manager.Post(P(project, "/workforces"), json{{"workforce_id", acme}}.dump()).status,
            204);

  // Golden first: ann gets one of two right, bob both.
  EXPECT_EQ(LabelNext(ann, project, "positive", 2000), tasks[0]);
  EXPECT_EQ(LabelNext(ann, project, "positive", 2000), tasks[1]);
  EXPECT_EQ(LabelNext(bob, project, "positive", 4000), tasks[0]);
  EXPECT_EQ(LabelNext(bob, project, "negative", 4000), tasks[1]);
  // Tasks 2..5 by both; on task 3 they disagree and the tie goes to the
  // first label (positive), ann's.
  const std::vector<std::string> ann_labels = {"positive", "positive", "negative", "neutral"};
  const std::vector<std::string> bob_labels = {"positive", "negative", "negative", "neutral"};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(LabelNext(ann, project, ann_labels[i], 2000), tasks[2 + i]);
    EXPECT_EQ(LabelNext(bob, project, bob_labels[i], 4000), tasks[2 + i]);
  }
  // cy labels task 6 alone, with golden injection off: it stays annotating;
  // cy has no workforce.
  ASSERT_EQ(
      manager.Patch(P(project), json{{"settings", {{"overlap", 2}, {"golden_rate", 0}}}}.dump())
          .status,
      200);
  EXPECT_EQ(LabelNext(cy, project, "neutral", 1000), tasks[6]);

  auto labelers_res = manager.Get(P(project, "/analytics/labelers"));
  ASSERT_EQ(labelers_res.status, 200) << labelers_res.body;
  json labelers = Body(labelers_res)["items"];
  ASSERT_EQ(labelers.size(), 3u) << labelers.dump();
  const json& a = RowOf(labelers, "username", "ann");
  const json& b = RowOf(labelers, "username", "bob");
  const json& c = RowOf(labelers, "username", "cy");
  EXPECT_EQ(a["labels"], 6);
  EXPECT_EQ(b["labels"], 6);
  EXPECT_EQ(c["labels"], 1);
  EXPECT_NEAR(a["active_hours"].get<double>(), 12000 / 3.6e6, 1e-12);
  EXPECT_NEAR(a["labels_per_hour"].get<double>(), 1800, 1e-6);
  EXPECT_NEAR(b["labels_per_hour"].get<double>(), 900, 1e-6);
  // The median from the histogram is within its bucket (±4.5 %).
  EXPECT_NEAR(a["median_active_seconds"].get<double>(), 2.0, 0.09);
  EXPECT_NEAR(b["median_active_seconds"].get<double>(), 4.0, 0.18);
  EXPECT_EQ(a["golden"]["graded"], 2);
  EXPECT_EQ(a["golden"]["correct"], 1);
  EXPECT_DOUBLE_EQ(a["golden"]["accuracy"].get<double>(), 0.5);
  // statsmodels proportion_confint(1, 2, method="wilson").
  EXPECT_NEAR(a["golden"]["low"].get<double>(), 0.0945312, 1e-6);
  EXPECT_NEAR(a["golden"]["high"].get<double>(), 0.9054688, 1e-6);
  EXPECT_DOUBLE_EQ(b["golden"]["accuracy"].get<double>(), 1.0);
  EXPECT_TRUE(c["golden"]["accuracy"].is_null());
  EXPECT_EQ(a["agreement"]["compared"], 4);
  EXPECT_DOUBLE_EQ(a["agreement"]["mean"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(b["agreement"]["mean"].get<double>(), 0.75);
  EXPECT_TRUE(c["agreement"]["mean"].is_null());
  // bob against consensus: [[1,1,0],[0,1,0],[0,0,1]]: p_o 3/4, p_e 5/16.
  EXPECT_NEAR(b["kappa"][0]["kappa"].get<double>(), (0.75 - 5.0 / 16) / (1 - 5.0 / 16), 1e-12);
  EXPECT_DOUBLE_EQ(a["kappa"][0]["kappa"].get<double>(), 1.0);
  EXPECT_EQ(a["accepted"], 4);
  EXPECT_EQ(a["workforce_id"], acme);
  EXPECT_EQ(a["unpriced"], false);
  EXPECT_EQ(a["cost"]["currency"], "USD");
  EXPECT_NEAR(a["cost"]["total"].get<double>(), 0.6, 1e-12);
  EXPECT_NEAR(a["cost"]["per_label"].get<double>(), 0.1, 1e-12);
  EXPECT_NEAR(a["cost"]["per_accepted_label"].get<double>(), 0.15, 1e-12);
  EXPECT_EQ(c["unpriced"], true);
  EXPECT_TRUE(c["cost"].is_null());
  EXPECT_TRUE(a["rejection_rate"].is_null());

  // A reviewer rejects task 2 after it was sent back to review.
  int64_t rev_id = 0;
  Client rev = NewUser("rev", "reviewer", &rev_id);
  AddMember(manager, project, rev_id);
  auto sent = manager.Post(P(project, "/review/send"), json{{"task_ids", {tasks[2]}}}.dump());
  ASSERT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(Body(sent)["sent"], 1);
  auto claim = rev.Post(P(project, "/review/next"), "");
  ASSERT_EQ(claim.status, 200) << claim.body;
  ASSERT_EQ(Body(claim)["task"]["id"], tasks[2]);
  ASSERT_EQ(rev.Post(T(tasks[2], "/review"), json{{"lease_id", Body(claim)["lease"]["id"]},
                                                  {"decision", "reject"},
                                                  {"comment", "look again"}}
                                                 .dump())
                .status,
            200);

  json summary = Body(manager.Get(P(project, "/analytics/summary")));
  const json& totals = summary["totals"];
  EXPECT_EQ(totals["labels"], 13);
  EXPECT_EQ(totals["tasks_done"], 4);
  EXPECT_GT(totals["median_turnaround_seconds"].get<double>(), 0);
  EXPECT_EQ(totals["golden"]["graded"], 4);
  EXPECT_DOUBLE_EQ(totals["golden"]["accuracy"].get<double>(), 0.75);
  EXPECT_EQ(totals["reviewed"], 2);
  EXPECT_EQ(totals["rejected"], 2);
  EXPECT_DOUBLE_EQ(totals["rejection_rate"].get<double>(), 1.0);
  ASSERT_EQ(totals["cost"].size(), 1u);
  EXPECT_NEAR(totals["cost"][0]["total"].get<double>(), 1.2, 1e-12);
  // Fleiss over 4 items of 2 ratings: P = 3/4, p = (3, 3, 2)/8.
  ASSERT_EQ(summary["agreement"].size(), 1u);
  const json& agreement = summary["agreement"][0];
  EXPECT_EQ(agreement["items"], 4);
  EXPECT_NEAR(agreement["fleiss_kappa"].get<double>(), (0.75 - 22.0 / 64) / (1 - 22.0 / 64), 1e-12);
  // Krippendorff: n = 8, n_c = (3, 3, 2), 2 off-diagonal coincidences.
  EXPECT_NEAR(agreement["krippendorff_alpha"].get<double>(), 1 - 7.0 * 2 / (64 - 22), 1e-12);

  json workforces = Body(manager.Get(P(project, "/analytics/workforces")))["items"];
  ASSERT_EQ(workforces.size(), 1u) << workforces.dump();
  EXPECT_EQ(workforces[0]["name"], "Acme");
  EXPECT_EQ(workforces[0]["labels"], 12);
  EXPECT_EQ(workforces[0]["members"].size(), 2u);
  EXPECT_DOUBLE_EQ(workforces[0]["golden"]["accuracy"].get<double>(), 0.75);
  EXPECT_NEAR(workforces[0]["cost"]["total"].get<double>(), 1.2, 1e-12);
  EXPECT_DOUBLE_EQ(workforces[0]["rejection_rate"].get<double>(), 1.0);

  json days = Body(manager.Get(P(project, "/analytics/timeseries")))["items"];
  ASSERT_GE(days.size(), 30u);
  int64_t labels = 0;
  for (const json& d : days) labels += d["labels"].get<int64_t>();
  EXPECT_EQ(labels, 13);
  EXPECT_EQ(days.back()["labels"], 13);
  EXPECT_EQ(days.back()["tasks_done"], 4);
  json ann_days = Body(
      manager.Get(P(project, "/analytics/timeseries?user=" + std::to_string(ann_id))))["items"];
  EXPECT_EQ(ann_days.back()["labels"], 6);
  json acme_days = Body(
      manager.Get(P(project, "/analytics/timeseries?workforce=" + std::to_string(acme))))["items"];
  EXPECT_EQ(acme_days.back()["labels"], 12);
  // A range before anything happened is all zeros.
  json old = Body(manager.Get(P(project, "/analytics/summary?from=2020-01-01&to=2020-02-01")));
  EXPECT_EQ(old["totals"]["labels"], 0);

  json confusion = Body(manager.Get(
      P(project, "/analytics/confusion?control=sentiment&user=" + std::to_string(bob_id))));
  EXPECT_EQ(confusion["observed"], json::parse("[[1,1,0],[0,1,0],[0,0,1]]"));
  ASSERT_TRUE(confusion["dawid_skene"].is_object()) << confusion.dump();
  EXPECT_EQ(confusion["dawid_skene"]["fitted_tasks"], 3);  // task 2 went back to rework
  ASSERT_EQ(confusion["dawid_skene"]["labelers"].size(), 1u);
  EXPECT_EQ(confusion["dawid_skene"]["labelers"][0]["username"], "bob");
  for (const json& row : confusion["dawid_skene"]["labelers"][0]["matrix"]) {
    double sum = 0;
    for (const json& v : row) sum += v.get<double>();
    EXPECT_NEAR(sum, 1, 1e-9);
  }

  // Every table also answers as CSV.
  auto csv = manager.Get(P(project, "/analytics/labelers?format=csv"));
  ASSERT_EQ(csv.status, 200);
  EXPECT_NE(csv.headers["content-type"].find("text/csv"), std::string::npos);
  const std::string header = csv.body.substr(0, csv.body.find("\r\n"));
  EXPECT_NE(header.find("golden.accuracy"), std::string::npos) << header;
  EXPECT_NE(header.find("kappa.sentiment.kappa"), std::string::npos) << header;
  EXPECT_NE(csv.body.find("ann"), std::string::npos);
  size_t lines = 0;
  for (char ch : csv.body) lines += ch == '\n';
  EXPECT_EQ(lines, 5u);  // the header, three labelers and the reviewer (reviews: 1)

  // Managers only; a bad range or control is a 400 naming it.
  EXPECT_EQ(ann.Get(P(project, "/analytics/summary")).status, 403);
  EXPECT_EQ(rev.Get(P(project, "/analytics/labelers")).status, 403);
  auto bad = manager.Get(P(project, "/analytics/summary?from=yesterday"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"]["field"], "from");
  EXPECT_EQ(manager.Get(P(project, "/analytics/summary?from=2026-02-01&to=2026-01-01")).status,
            400);
  auto bad_control = manager.Get(P(project, "/analytics/confusion?control=nope"));
  EXPECT_EQ(bad_control.status, 400);
  EXPECT_EQ(Body(bad_control)["error"]["field"], "control");
}

// A one-annotator project with model predictions: the disagreement queue's
// scores and order, its filters and pages, predictions added before and
// after labeling, all-or-nothing imports, the gallery and review sends.
TEST_P(AnalyticsApiTest, PredictionsDisagreementsSamplesAndReviewSends) {
  int64_t mia_id = 0, ann_id = 0, rev_id = 0;
  Client manager = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  const int64_t project = NewProject(manager, {{"overlap", 1}}, "Analytics");
  std::vector<int64_t> t = Import(manager, project, 7);
  AddMember(manager, project, ann_id);
  AddMember(manager, project, rev_id);

  auto prediction = [&](int64_t task, const std::string& value, std::optional<double> score) {
    json p = {{"task_id", task}, {"model_version", "v2"}, {"result", Choice(value)}};
    if (score) p["score"] = *score;
    return p.dump() + "\n";
  };
  // Task 5 is predicted before it is labeled: the completion scores it.
  auto early = manager.Post(P(project, "/predictions?model_name=sent-bert"),
                            prediction(t[5], "neutral", 0.7), "application/x-ndjson");
  ASSERT_EQ(early.status, 201) << early.body;
  EXPECT_EQ(Body(early)["imported"], 1);

  const std::vector<std::string> labels = {"positive", "positive", "negative",
                                           "neutral",  "positive", "positive"};
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(LabelNext(ann, project, labels[i], 1000), t[i]);
  }
  // After labeling: the rest; task 6 is not labeled, so it gets no score.
  const std::string late = prediction(t[0], "positive", 0.9) + prediction(t[1], "negative", 0.8) +
                           prediction(t[2], "negative", 0.6) + prediction(t[3], "positive", {}) +
                           prediction(t[6], "positive", 0.5);
  // All or nothing: a task of no project, then a label the schema lacks.
  auto unknown = manager.Post(P(project, "/predictions?model_name=sent-bert"),
                              late + prediction(999999, "positive", 0.5), "application/x-ndjson");
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(Body(unknown)["error"]["line"], 6);
  EXPECT_EQ(Body(unknown)["error"]["field"], "task_id");
  auto misfit = manager.Post(P(project, "/predictions?model_name=sent-bert"),
                             prediction(t[0], "angry", 0.5) + late, "application/x-ndjson");
  EXPECT_EQ(misfit.status, 422) << misfit.body;
  EXPECT_EQ(Body(misfit)["error"]["line"], 1);
  EXPECT_EQ(Body(manager.Get(T(t[0], "/predictions")))["items"].size(), 0u);
  EXPECT_EQ(ann.Post(P(project, "/predictions?model_name=x"), late, "application/x-ndjson").status,
            403);
  auto ok =
      manager.Post(P(project, "/predictions?model_name=sent-bert"), late, "application/x-ndjson");
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Body(ok)["imported"], 5);
  json stored = Body(manager.Get(T(t[1], "/predictions")))["items"];
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0]["model_name"], "sent-bert");
  EXPECT_EQ(stored[0]["model_version"], "v2");
  EXPECT_DOUBLE_EQ(stored[0]["score"].get<double>(), 0.8);

  // 1 - p when the model chose the label; 1 - (1 - p)/2 when it chose another.
  auto queue = manager.Get(P(project, "/disagreements"));
  ASSERT_EQ(queue.status, 200) << queue.body;
  json q = Body(queue);
  EXPECT_EQ(q["total"], 5);
  std::vector<std::pair<int64_t, double>> expected = {
      {t[3], 1.0}, {t[1], 0.9}, {t[5], 0.85}, {t[2], 0.4}, {t[0], 0.1}};
  ASSERT_EQ(q["items"].size(), expected.size()) << q.dump();
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(q["items"][i]["task_id"], expected[i].first) << i;
    EXPECT_NEAR(q["items"][i]["score"].get<double>(), expected[i].second, 1e-9) << i;
  }
  EXPECT_EQ(q["items"][0]["labels"], json::array({"neutral"}));
  EXPECT_EQ(q["items"][0]["controls"][0]["control"], "sentiment");
  EXPECT_EQ(q["items"][0]["state"], "done");
  // Pages of two follow the same order.
  std::vector<int64_t> paged;
  std::string target = P(project, "/disagreements?limit=2");
  for (int page = 0; page < 5; ++page) {
    json p = Body(manager.Get(target));
    for (const json& item : p["items"]) paged.push_back(item["task_id"].get<int64_t>());
    if (p["next_cursor"].is_null()) break;
    target = P(project, "/disagreements?limit=2&cursor=" + p["next_cursor"].get<std::string>());
  }
  EXPECT_EQ(paged, (std::vector<int64_t>{t[3], t[1], t[5], t[2], t[0]}));
  json positive = Body(manager.Get(P(project, "/disagreements?label=positive")));
  EXPECT_EQ(positive["total"], 3);  // tasks 0, 1 and 5 (4 has no prediction)
  json high = Body(manager.Get(P(project, "/disagreements?min_score=0.5")));
  EXPECT_EQ(high["total"], 3);
  EXPECT_EQ(Body(manager.Get(P(project, "/disagreements?model=other")))["total"], 0);
  EXPECT_EQ(manager.Get(P(project, "/disagreements?min_score=2")).status, 400);
  EXPECT_EQ(manager.Get(P(project, "/disagreements?cursor=zzz")).status, 400);
  EXPECT_EQ(ann.Get(P(project, "/disagreements")).status, 403);

  // Send the top one to review; the next call takes the next done one.
  auto top = manager.Post(P(project, "/disagreements/review"), json{{"k", 1}}.dump());
  ASSERT_EQ(top.status, 200) << top.body;
  EXPECT_EQ(Body(top)["task_ids"], json::array({t[3]}));
  EXPECT_EQ(State(t[3]), "reviewing");
  auto second = manager.Post(P(project, "/disagreements/review"), json{{"k", 1}}.dump());
  EXPECT_EQ(Body(second)["task_ids"], json::array({t[1]}));
  EXPECT_EQ(manager.Post(P(project, "/disagreements/review"), json{{"k", 0}}.dump()).status, 400);
  json audit = Body(manager.Get("/api/v1/audit?limit=1&project=" + std::to_string(project)));
  ASSERT_EQ(audit["items"].size(), 1u);
  EXPECT_EQ(audit["items"][0]["action"], "review.send");
  EXPECT_EQ(audit["items"][0]["details"]["from"], "disagreements/review");
  EXPECT_EQ(audit["items"][0]["details"]["task_ids"], json::array({t[1]}));

  // The reviewer fixes task 3 to what the model said: its score drops to 0.
  auto claim = rev.Post(P(project, "/review/next"), "");
  ASSERT_EQ(claim.status, 200) << claim.body;
  const int64_t claimed = Body(claim)["task"]["id"].get<int64_t>();
  ASSERT_EQ(claimed, t[1]);  // review goes by priority, then id
  ASSERT_EQ(rev.Post(T(claimed, "/review"), json{{"lease_id", Body(claim)["lease"]["id"]},
                                                 {"decision", "fix"},
                                                 {"result", Choice("negative")}}
                                                .dump())
                .status,
            200);
  json after = Body(manager.Get(P(project, "/disagreements?limit=10")));
  for (const json& item : after["items"]) {
    if (item["task_id"] == t[1]) EXPECT_NEAR(item["score"].get<double>(), 0.2, 1e-9);
  }
  // Sent back after it was done and accepted again: not counted done twice.
  const int64_t done_before =
      Body(manager.Get(P(project, "/analytics/summary")))["totals"]["tasks_done"].get<int64_t>();
  auto claim3 = rev.Post(P(project, "/review/next"), "");
  ASSERT_EQ(Body(claim3)["task"]["id"], t[3]);
  ASSERT_EQ(rev.Post(T(t[3], "/review"),
                     json{{"lease_id", Body(claim3)["lease"]["id"]}, {"decision", "accept"}}.dump())
                .status,
            200);
  EXPECT_EQ(State(t[3]), "done");
  EXPECT_EQ(
      Body(manager.Get(P(project, "/analytics/summary")))["totals"]["tasks_done"].get<int64_t>(),
      done_before);

  // The gallery: reproducible with a seed, filtered by class and labeler.
  auto s1 = manager.Get(P(project, "/samples?seed=42&size=3"));
  ASSERT_EQ(s1.status, 200) << s1.body;
  json sample = Body(s1);
  EXPECT_EQ(sample["seed"], 42);
  EXPECT_EQ(sample["total"], 6);
  ASSERT_EQ(sample["items"].size(), 3u);
  EXPECT_EQ(Body(manager.Get(P(project, "/samples?seed=42&size=3")))["items"], sample["items"]);
  std::set<int64_t> drawn;
  const json all = Body(manager.Get(P(project, "/samples?seed=7&size=6")));
  for (const json& item : all["items"]) {
    drawn.insert(item["task"]["id"].get<int64_t>());
    EXPECT_EQ(item["annotation"]["annotator"]["username"], "ann");
  }
  EXPECT_EQ(drawn.size(), 6u);  // all of them, each once
  json negatives = Body(manager.Get(P(project, "/samples?seed=1&label=negative")));
  ASSERT_EQ(negatives["items"].size(), 1u);
  EXPECT_EQ(negatives["items"][0]["task"]["id"], t[2]);
  EXPECT_EQ(Body(manager.Get(P(project, "/samples?user=" + std::to_string(mia_id))))["total"], 0);
  auto fresh = Body(manager.Get(P(project, "/samples")));
  EXPECT_TRUE(fresh["seed"].is_number_integer());
  EXPECT_EQ(rev.Get(P(project, "/samples?seed=1")).status, 200);
  EXPECT_EQ(ann.Get(P(project, "/samples?seed=1")).status, 403);
  EXPECT_EQ(manager.Get(P(project, "/samples?size=500")).status, 400);

  // Sending to review: done tasks of the project move, others are skipped.
  auto send =
      manager.Post(P(project, "/review/send"), json{{"task_ids", {t[0], t[6], 999999}}}.dump());
  ASSERT_EQ(send.status, 200) << send.body;
  EXPECT_EQ(Body(send)["sent"], 1);
  EXPECT_EQ(Body(send)["skipped"], json::array({t[6], 999999}));
  EXPECT_EQ(State(t[0]), "reviewing");
  EXPECT_EQ(
      manager.Post(P(project, "/review/send"), json{{"task_ids", json::array()}}.dump()).status,
      400);
  EXPECT_EQ(rev.Post(P(project, "/review/send"), json{{"task_ids", {t[2]}}}.dump()).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
