// The conformance suite's part for analytics (docs/analytics.md): the
// running counters every counted write adds to in its own transaction, model
// predictions added to existing tasks, disagreement scores and their queue,
// the annotation index of the sample gallery, and sending done tasks back to
// review.

#include <atomic>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "core/stats.h"
#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kDayMs = 86'400'000;
// kT0 is 22:13 UTC: times up to kT0 + kSameDayMs fall on kT0's day.
constexpr int64_t kSameDayMs = 6'000'000;
const int64_t kDay = stats::DayOf(kT0);

// One day's counters of a project: (user, metric) -> (count, sum).
using Counters = std::map<std::pair<int64_t, std::string>, std::pair<int64_t, double>>;

// Rows without the per-instructions-version copies (labels.v0, ...), which
// store_instructions_test.cc covers.
std::vector<StatRow> Plain(std::vector<StatRow> rows) {
  std::erase_if(rows, [](const StatRow& r) { return r.metric.find(".v") != std::string::npos; });
  return rows;
}

Counters CountersOn(Store& store, int64_t project_id, int64_t day) {
  Counters out;
  for (const StatRow& row : Plain(Ok(store.ReadStats({project_id, day, day + 1})))) {
    EXPECT_EQ(row.day, day);
    out[{row.user_id, row.metric}] = {row.count, row.sum};
  }
  return out;
}

std::string Lead(int64_t ms) {
  return stats::kLeadPrefix + std::to_string(stats::DurationBucket(ms));
}
std::string Turn(int64_t ms) {
  return stats::kTurnPrefix + std::to_string(stats::DurationBucket(ms));
}

std::string Describe(const StatRow& r) {
  return std::to_string(r.user_id) + " " + std::to_string(r.day) + " " + r.metric + " " +
         std::to_string(r.count) + " " + std::to_string(r.sum);
}

std::string Describe(const Disagreement& d) {
  return std::to_string(d.prediction_id) + " " + std::to_string(d.task_id) + " " +
         std::to_string(d.score) + " " + d.controls_json + " " + d.labels_json + " " +
         std::to_string(d.computed_at_ms) + " " + d.model_name + " " + d.model_version + " " +
         TaskStateName(d.state);
}

template <typename T>
std::vector<std::string> DescribeAll(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(Describe(item));
  return out;
}

std::vector<int64_t> PredictionIds(const DisagreementPage& page) {
  std::vector<int64_t> ids;
  for (const Disagreement& d : page.items) ids.push_back(d.prediction_id);
  return ids;
}

Result<Revision> SubmitAt(Store& store, const Claim& claim, int64_t lead_ms, int64_t now_ms,
                          const RevisionHooks* hooks = nullptr, const std::string& key = "") {
  return store.AppendRevision(
      {.task_id = claim.task.id,
       .user_id = claim.lease.user_id,
       .lease_id = claim.lease.id,
       .idempotency_key = key,
       .result_json = R"([{"v":)" + std::to_string(claim.lease.user_id) + "}]",
       .lead_time_ms = lead_ms,
       .hooks = hooks},
      now_ms);
}

// A revision of the user's own annotation on the task (an edit or a rework).
Result<Revision> Revise(Store& store, int64_t task_id, int64_t user_id, int64_t lead_ms,
                        int64_t now_ms, const RevisionHooks* hooks = nullptr) {
  return store.AppendRevision({.task_id = task_id,
                               .user_id = user_id,
                               .result_json = R"([{"revised":true}])",
                               .lead_time_ms = lead_ms,
                               .hooks = hooks},
                              now_ms);
}

// Completions that route each task by `route` (done unless it says otherwise).
RevisionHooks Routing(std::function<TaskState(const CompletionInput&)> route) {
  RevisionHooks hooks;
  hooks.complete = [route](const CompletionInput& input) -> Result<Completion> {
    Completion c = DefaultCompletion(input);
    c.state = route(input);
    return c;
  };
  return hooks;
}

// Decides the review the reviewer claims in `stage`, expecting task `task_id`.
void Decide(Store& store, int64_t project_id, int64_t reviewer_id, TaskState stage, int64_t task_id,
            Store::Decision decision, int64_t now_ms,
            std::source_location where = std::source_location::current()) {
  SCOPED_TRACE(::testing::Message() << "called from line " << where.line());
  auto claim = Ok(store.ClaimReviewTask(project_id, reviewer_id, stage, now_ms));
  ASSERT_TRUE(claim);
  ASSERT_EQ(claim->task.id, task_id);
  Ok(store.RecordReview({.task_id = task_id,
                         .reviewer_id = reviewer_id,
                         .lease_id = claim->lease.id,
                         .decision = decision,
                         .comment = decision == Store::Decision::kReject ? "again" : "",
                         .label = GoldenAnswer{R"([{"fixed":true}])", ""}},
                        now_ms));
}

NewPrediction Model(const std::string& name, std::optional<double> score = std::nullopt) {
  return {.model_name = name,
          .model_version = name + "-v1",
          .score = score,
          .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])"};
}

}  // namespace

// --- counters of labels, completion and golden grades -------------------------------

TEST_P(StoreConformanceTest, SubmitsAndACompletionCountLabelsLeadTimesTurnaroundAndAcceptance) {
  Project p = AddProject(/*overlap=*/2);
  User a = AddUser("a"), b = AddUser("b");
  auto ids = AddTasks(p.id, 1);
  auto ca = ClaimNext(p.id, a.id, kT0 + 10);
  auto cb = ClaimNext(p.id, b.id, kT0 + 20);
  ASSERT_TRUE(ca && cb);
  Ok(SubmitAt(store(), *ca, 1500, kT0 + 1000, nullptr, "ka"));
  EXPECT_EQ(CountersOn(store(), p.id, kDay),
            (Counters{{{a.id, "labels"}, {1, 1500}}, {{a.id, Lead(1500)}, {1, 0}}}))
      << "one of two annotations: labeled, not done";
  Revision last = Ok(SubmitAt(store(), *cb, 250, kT0 + 5000, nullptr, "kb"));
  ASSERT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
  Counters expected = {
      {{0, "done"}, {1, 5000}},     {{0, Turn(5000)}, {1, 0}},    {{a.id, "labels"}, {1, 1500}},
      {{a.id, Lead(1500)}, {1, 0}}, {{a.id, "accepted"}, {1, 0}}, {{b.id, "labels"}, {1, 250}},
      {{b.id, Lead(250)}, {1, 0}},  {{b.id, "accepted"}, {1, 0}},
  };
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected);

  // A replay writes nothing; an edit of one's own annotation is a revision.
  EXPECT_EQ(Ok(SubmitAt(store(), *cb, 250, kT0 + 5500, nullptr, "kb")).id, last.id);
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected);
  Ok(Revise(store(), ids[0], a.id, 300, kT0 + 6000));
  expected[{a.id, "revisions"}] = {1, 300};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected);

  // Rows come by user, day and metric; bucket names as core/stats.h gives them.
  EXPECT_EQ(Lead(1500), "lead.32");
  EXPECT_EQ(Turn(5000), "turn.46");
  EXPECT_EQ(DescribeAll(Plain(Ok(store().ReadStats({p.id, kDay, kDay + 1})))),
            (std::vector<std::string>{
                Describe(StatRow{0, kDay, "done", 1, 5000}),
                Describe(StatRow{0, kDay, "turn.46", 1, 0}),
                Describe(StatRow{a.id, kDay, "accepted", 1, 0}),
                Describe(StatRow{a.id, kDay, "labels", 1, 1500}),
                Describe(StatRow{a.id, kDay, "lead.32", 1, 0}),
                Describe(StatRow{a.id, kDay, "revisions", 1, 300}),
                Describe(StatRow{b.id, kDay, "accepted", 1, 0}),
                Describe(StatRow{b.id, kDay, "labels", 1, 250}),
                Describe(StatRow{b.id, kDay, Lead(250), 1, 0}),
            }));
}

TEST_P(StoreConformanceTest, ACompletionStoresItsStatsAndDisagreementsAndSeesThePredictions) {
  Project p = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    Ok(writer->Add({.data_json = R"({"n":0})", .predictions = {Model("m1", 0.5), Model("m2")}}));
    Ok(writer->Commit());
  }
  const int64_t task_id = ListIds({.project_id = p.id}).front();
  auto added = Ok(store().AddPredictions(p.id, {{task_id, Model("m3", 0.25)}}, kT0 + 1));
  ASSERT_EQ(added.size(), 1u);
  std::vector<Prediction> seen;
  RevisionHooks hooks;
  hooks.complete = [&](const CompletionInput& input) -> Result<Completion> {
    seen = input.predictions;
    Completion c = DefaultCompletion(input);
    c.stats = {{ann.id, "agree", 1, 0.75},
               {0, "fleiss.0", 1, 0.5},
               {ann.id, "agree", 1, 0.125},  // repeats add up
               {0, "coinc.0.1.1", 0, 2.5}};
    if (input.predictions.size() == 3) {
      c.disagreements = {{.prediction_id = input.predictions[0].id,
                          .score = 0.75,
                          .controls_json = R"([{"control": "pet", "score": 0.75}])",
                          .labels_json = R"(["cat"])",
                          .computed_at_ms = 1},  // the store's now_ms wins
                         {.prediction_id = input.predictions[2].id,
                          .score = 0.0,
                          .controls_json = "[]",
                          .labels_json = R"(["cat"])"}};
    }
    return c;
  };
  auto claim = ClaimNext(p.id, ann.id, kT0 + 10);
  ASSERT_TRUE(claim);
  Ok(SubmitAt(store(), *claim, 2000, kT0 + 3000, &hooks));

  ASSERT_EQ(seen.size(), 3u) << "the completion sees the task's predictions";
  EXPECT_EQ(seen[0].model_name, "m1");
  EXPECT_EQ(seen[1].model_name, "m2");
  EXPECT_EQ(seen[2].id, added[0].id);
  EXPECT_LT(seen[0].id, seen[1].id);
  Counters counters = CountersOn(store(), p.id, kDay);
  EXPECT_EQ(counters[std::make_pair(ann.id, std::string("agree"))],
            (std::pair<int64_t, double>{2, 0.875}));
  EXPECT_EQ(counters[std::make_pair(int64_t{0}, std::string("fleiss.0"))],
            (std::pair<int64_t, double>{1, 0.5}));
  EXPECT_EQ(counters[std::make_pair(int64_t{0}, std::string("coinc.0.1.1"))],
            (std::pair<int64_t, double>{0, 2.5}));
  EXPECT_EQ(counters[std::make_pair(int64_t{0}, std::string("done"))],
            (std::pair<int64_t, double>{1, 3000}));

  DisagreementPage page = Ok(store().ListDisagreements({.project_id = p.id}));
  EXPECT_EQ(page.total, 2);
  EXPECT_FALSE(page.more);
  EXPECT_EQ(
      DescribeAll(page.items),
      (std::vector<std::string>{
          Describe(Disagreement{seen[0].id, task_id, 0.75, R"([{"control": "pet", "score": 0.75}])",
                                R"(["cat"])", kT0 + 3000, "m1", "m1-v1", TaskState::kDone}),
          Describe(Disagreement{seen[2].id, task_id, 0, "[]", R"(["cat"])", kT0 + 3000, "m3",
                                "m3-v1", TaskState::kDone}),
      }));
}

TEST_P(StoreConformanceTest, AGoldenSubmitCountsItsLabelAndItsGrade) {
  Project p = AddProject(/*overlap=*/1);
  User a = AddUser("a"), b = AddUser("b");
  auto ids = AddTasks(p.id, 1);
  Ok(store().SetGoldenAnswer(ids[0], GoldenAnswer{"[1]", ""}));
  RevisionHooks hooks;
  hooks.grade = [&](const GoldenAnswer&, const Revision& rev) -> Result<GoldenGrade> {
    const bool right = rev.user_id == a.id;
    return GoldenGrade{.score = right ? 1.0 : 0.25, .correct = right};
  };
  for (const auto& [user, lead] : {std::pair{a, int64_t{700}}, std::pair{b, int64_t{90}}}) {
    auto claim = Ok(store().ClaimGoldenTask(p.id, user.id, kT0 + 10));
    ASSERT_TRUE(claim);
    Ok(SubmitAt(store(), *claim, lead, kT0 + 100, &hooks));
  }
  EXPECT_EQ(CountersOn(store(), p.id, kDay), (Counters{{{a.id, "labels"}, {1, 700}},
                                                       {{a.id, Lead(700)}, {1, 0}},
                                                       {{a.id, "golden"}, {1, 1.0}},
                                                       {{a.id, "golden_correct"}, {1, 0}},
                                                       {{b.id, "labels"}, {1, 90}},
                                                       {{b.id, "lead.0"}, {1, 0}},
                                                       {{b.id, "golden"}, {1, 0.25}}}))
      << "golden labels count as labels; golden tasks are never done";
}

TEST_P(StoreConformanceTest, ReviewDecisionsCountReviewsOfEveryAnnotatorAndDoneOnce) {
  Project p = AddProject(/*overlap=*/2);
  User a = AddUser("a"), b = AddUser("b"), r = AddUser("r", Role::kReviewer);
  auto ids = AddTasks(p.id, 3);
  RevisionHooks hooks = Routing([&](const CompletionInput& input) {
    return input.task.id == ids[2] ? TaskState::kAdjudicating : TaskState::kReviewing;
  });
  for (const auto& [user, lead] : {std::pair{a, int64_t{1000}}, std::pair{b, int64_t{2000}}}) {
    for (int i = 0; i < 3; ++i) {
      auto claim = ClaimNext(p.id, user.id, kT0 + 50);
      ASSERT_TRUE(claim);
      Ok(SubmitAt(store(), *claim, lead, kT0 + 100, &hooks));
    }
  }
  Counters expected = {
      {{a.id, "labels"}, {3, 3000}},
      {{a.id, Lead(1000)}, {3, 0}},
      {{b.id, "labels"}, {3, 6000}},
      {{b.id, Lead(2000)}, {3, 0}},
  };
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "nothing is done before review";

  Decide(store(), p.id, r.id, TaskState::kReviewing, ids[0], Store::Decision::kAccept, kT0 + 1000);
  expected[{0, "done"}] = {1, 1000};
  expected[{0, Turn(1000)}] = {1, 0};
  for (const User& u : {a, b}) {
    expected[{u.id, "reviewed"}] = {1, 0};
    expected[{u.id, "accepted"}] = {1, 0};
  }
  expected[{r.id, "reviews"}] = {1, 0};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "accept";

  Decide(store(), p.id, r.id, TaskState::kReviewing, ids[1], Store::Decision::kReject, kT0 + 2000);
  for (const User& u : {a, b}) {
    expected[{u.id, "reviewed"}] = {2, 0};
    expected[{u.id, "rejected"}] = {1, 0};
  }
  expected[{r.id, "reviews"}] = {2, 0};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "reject";

  // The rework is a revision each; the task goes back to review, then is fixed.
  for (const auto& [user, lead] : {std::pair{a, int64_t{400}}, std::pair{b, int64_t{600}}}) {
    auto rework = ClaimNext(p.id, user.id, kT0 + 2500);
    ASSERT_TRUE(rework);
    ASSERT_EQ(rework->rule, ClaimRule::kRework);
    Ok(Revise(store(), ids[1], user.id, lead, kT0 + 3000, &hooks));
    expected[{user.id, "revisions"}] = {1, static_cast<double>(lead)};
  }
  ASSERT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kReviewing);
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "rework";
  Decide(store(), p.id, r.id, TaskState::kReviewing, ids[1], Store::Decision::kFix, kT0 + 4000);
  expected[{0, "done"}] = {2, 1000 + 4000};
  expected[{0, Turn(4000)}] = {1, 0};
  for (const User& u : {a, b}) expected[{u.id, "reviewed"}] = {3, 0};
  expected[{r.id, "reviews"}] = {3, 0};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "a fix accepts nobody's label";

  Decide(store(), p.id, r.id, TaskState::kAdjudicating, ids[2], Store::Decision::kResolve,
         kT0 + 5000);
  expected[{0, "done"}] = {3, 1000 + 4000 + 5000};
  expected[{0, Turn(5000)}] = {1, 0};
  for (const User& u : {a, b}) expected[{u.id, "reviewed"}] = {4, 0};
  expected[{r.id, "reviews"}] = {4, 0};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "resolve";
}

// --- sending done tasks to review ------------------------------------------------------

TEST_P(StoreConformanceTest, SendToReviewMovesDoneTasksOnlyAndTheirDecisionIsNotCountedAgain) {
  Project p = AddProject(/*overlap=*/1);
  User ann = AddUser("ann"), rev = AddUser("rev", Role::kReviewer);
  Batch batch;
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    batch = Ok(writer->AddBatch({.name = "b"}));
    for (int i = 0; i < 3; ++i) {
      Ok(writer->Add({.data_json = "{\"n\":" + std::to_string(i) + "}", .batch_id = batch.id}));
    }
    Ok(writer->Add({.data_json = R"({"n":"gold"})"}));
    Ok(writer->Commit());
  }
  auto ids = ListIds({.project_id = p.id});
  ASSERT_EQ(ids.size(), 4u);
  // ids[0], ids[1] and ids[3] done; ids[2] new; ids[3] then made golden.
  for (int i = 0; i < 3; ++i) {
    auto claim = ClaimNext(p.id, ann.id, kT0 + 10);
    ASSERT_TRUE(claim);
    if (claim->task.id == ids[2]) {
      Ok(store().SkipTask(ids[2], ann.id, claim->lease.id, kT0 + 10));
      claim = ClaimNext(p.id, ann.id, kT0 + 10);
      ASSERT_TRUE(claim);
    }
    Ok(SubmitAt(store(), *claim, 1000, kT0 + 100));
  }
  Ok(store().SetGoldenAnswer(ids[3], GoldenAnswer{"[]", ""}));
  ASSERT_EQ(Ok(store().GetTask(ids[3])).state, TaskState::kDone);
  EXPECT_EQ(Ok(store().GetBatch(batch.id)).done, 2);
  const auto labels_before = Ok(store().FinalLabels({ids[0], ids[1]}));
  Counters expected = CountersOn(store(), p.id, kDay);
  ASSERT_EQ(expected[std::make_pair(int64_t{0}, std::string("done"))],
            (std::pair<int64_t, double>{3, 300}));

  EXPECT_EQ(Ok(store().SendToReview({ids[2], ids[1], 99999, ids[3], ids[0], ids[1]}, kT0 + 200)),
            (std::vector<int64_t>{ids[1], ids[0]}))
      << "done tasks, in the order given, once each";
  EXPECT_TRUE(Ok(store().SendToReview({}, kT0 + 200)).empty());
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kReviewing);
  EXPECT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kReviewing);
  EXPECT_EQ(Ok(store().GetTask(ids[2])).state, TaskState::kNew);
  EXPECT_EQ(Ok(store().GetTask(ids[3])).state, TaskState::kDone) << "golden: left alone";
  TaskCounts counts = Ok(store().CountTasks(p.id));
  EXPECT_EQ(counts.reviewing, 2);
  EXPECT_EQ(counts.done, 1);
  EXPECT_EQ(Ok(store().GetBatch(batch.id)).done, 0) << "a batch counts its tasks that are done";
  EXPECT_EQ(Ok(store().FinalLabels({ids[0], ids[1]})).size(), labels_before.size())
      << "final labels are kept";
  EXPECT_TRUE(Ok(store().SendToReview({ids[0]}, kT0 + 210)).empty()) << "already in review";
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected) << "sending counts nothing";

  // Accepted again: reviewed, not done or accepted a second time.
  auto first = Ok(store().ClaimReviewTask(p.id, rev.id, TaskState::kReviewing, kT0 + 300));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->task.id, ids[0]);
  Ok(store().RecordReview({.task_id = ids[0],
                           .reviewer_id = rev.id,
                           .lease_id = first->lease.id,
                           .decision = Store::Decision::kAccept},
                          kT0 + 300));
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
  auto kept = Ok(store().FinalLabels({ids[0]}));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].result_json, labels_before[0].result_json);
  expected[{ann.id, "reviewed"}] = {1, 0};
  expected[{rev.id, "reviews"}] = {1, 0};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected);
  EXPECT_EQ(Ok(store().GetBatch(batch.id)).done, 1);

  // Rejected, reworked and completed done again: still counted done once.
  Decide(store(), p.id, rev.id, TaskState::kReviewing, ids[1], Store::Decision::kReject, kT0 + 400);
  auto rework = ClaimNext(p.id, ann.id, kT0 + 500);
  ASSERT_TRUE(rework);
  ASSERT_EQ(rework->task.id, ids[1]);
  Ok(Revise(store(), ids[1], ann.id, 50, kT0 + 600));
  EXPECT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kDone);
  expected[{ann.id, "reviewed"}] = {2, 0};
  expected[{ann.id, "rejected"}] = {1, 0};
  expected[{ann.id, "revisions"}] = {1, 50};
  expected[{rev.id, "reviews"}] = {2, 0};
  EXPECT_EQ(CountersOn(store(), p.id, kDay), expected);
  EXPECT_EQ(Ok(store().GetBatch(batch.id)).done, 2);
  EXPECT_EQ(Ok(store().CountTasks(p.id)).done, 3);
}

// --- predictions and disagreements -----------------------------------------------------------

TEST_P(StoreConformanceTest, AddPredictionsStoresAllOrNothing) {
  Project p = AddProject(/*overlap=*/1);
  Project q = AddProject(/*overlap=*/1);
  auto mine = AddTasks(p.id, 2);
  auto theirs = AddTasks(q.id, 1);
  struct Case {
    const char* name;
    std::vector<TaskPrediction> items;
    StatusCode code;
    std::string field;
  };
  NewPrediction long_name = Model(std::string(201, 'm'));
  NewPrediction infinite = Model("m", INFINITY);
  const Case cases[] = {
      {"a task of another project",
       {{mine[0], Model("m")}, {theirs[0], Model("m")}},
       StatusCode::kNotFound,
       "[1].task_id"},
      {"an unknown task", {{99999, Model("m")}}, StatusCode::kNotFound, "[0].task_id"},
      {"a model name too long",
       {{mine[0], Model("m")}, {mine[1], long_name}},
       StatusCode::kInvalidArgument,
       "[1].model_name"},
      {"a score that is not finite",
       {{mine[1], infinite}},
       StatusCode::kInvalidArgument,
       "[0].score"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto added = store().AddPredictions(p.id, c.items, kT0 + 1);
    ASSERT_FALSE(added.ok());
    EXPECT_EQ(added.status().code(), c.code) << added.status().ToString();
    EXPECT_EQ(added.status().field(), c.field);
    EXPECT_TRUE(Ok(store().ListPredictions({mine[0], mine[1], theirs[0]})).empty());
  }

  auto added = Ok(store().AddPredictions(
      p.id, {{mine[1], Model("b", 0.5)}, {mine[0], Model("a")}, {mine[1], Model("c", 1)}},
      kT0 + 2));
  ASSERT_EQ(added.size(), 3u);
  EXPECT_EQ(added[0].task_id, mine[1]);
  EXPECT_EQ(added[0].model_name, "b");
  EXPECT_EQ(added[0].model_version, "b-v1");
  EXPECT_EQ(added[0].score, 0.5);
  EXPECT_EQ(added[0].created_at_ms, kT0 + 2);
  EXPECT_EQ(added[1].task_id, mine[0]);
  EXPECT_FALSE(added[1].score);
  EXPECT_LT(added[0].id, added[1].id);
  EXPECT_LT(added[1].id, added[2].id);
  auto listed = Ok(store().ListPredictions({mine[0], mine[1]}));
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].id, added[1].id);  // by task, then id
  EXPECT_EQ(listed[1].id, added[0].id);
  EXPECT_EQ(listed[2].result_json, added[2].result_json);
  EXPECT_TRUE(Ok(store().AddPredictions(p.id, {}, kT0)).empty());
}

TEST_P(StoreConformanceTest, SetDisagreementsReplacesByPredictionAndNeedsThePrediction) {
  Project p = AddProject(/*overlap=*/1);
  auto ids = AddTasks(p.id, 2);
  auto preds = Ok(store().AddPredictions(p.id, {{ids[0], Model("m")}, {ids[1], Model("m")}}, kT0));
  ASSERT_EQ(preds.size(), 2u);
  Status missing = store().SetDisagreements(
      {{.prediction_id = preds[0].id, .score = 0.5, .controls_json = "[]", .labels_json = "[]"},
       {.prediction_id = 99999, .score = 0.5, .controls_json = "[]", .labels_json = "[]"}});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_EQ(Ok(store().ListDisagreements({.project_id = p.id})).total, 0) << "nothing stored";

  // The task comes from the prediction, whatever the caller says.
  Ok(store().SetDisagreements({{.prediction_id = preds[0].id,
                                .task_id = ids[1],
                                .score = 0.5,
                                .controls_json = "[]",
                                .labels_json = R"(["a"])",
                                .computed_at_ms = kT0 + 1}}));
  Ok(store().SetDisagreements({{.prediction_id = preds[0].id,
                                .score = 0.25,
                                .controls_json = R"([{"control":"x","score":0.25}])",
                                .labels_json = R"(["b"])",
                                .computed_at_ms = kT0 + 2}}));
  Ok(store().SetDisagreements({}));
  DisagreementPage page = Ok(store().ListDisagreements({.project_id = p.id}));
  EXPECT_EQ(page.total, 1);
  EXPECT_EQ(DescribeAll(page.items),
            std::vector<std::string>{Describe(
                Disagreement{preds[0].id, ids[0], 0.25, R"([{"control":"x","score":0.25}])",
                             R"(["b"])", kT0 + 2, "m", "m-v1", TaskState::kNew})});
}

TEST_P(StoreConformanceTest, TheDisagreementQueueRanksFiltersAndPages) {
  Project p = AddProject(/*overlap=*/1);
  Project other = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  auto ids = AddTasks(p.id, 3);
  auto other_ids = AddTasks(other.id, 1);
  struct Row {
    int64_t task_id;
    const char* model;
    double score;
    const char* labels;
  };
  // Eight predictions; the labels carry what a text search would get wrong.
  const Row rows[] = {
      {ids[0], "m1", 0.9, R"(["cat"])"},         {ids[0], "m2", 0.5, R"(["dog", "cat"])"},
      {ids[1], "m1", 0.5, R"(["say \"hi\""])"},  {ids[1], "m1", 0.5, R"(["a\"b"])"},
      {ids[2], "m2", 0.2, R"(["back\\slash"])"}, {ids[2], "m1", 0.0, R"(["caf\u00e9"])"},
      {ids[2], "m1", 0.3, R"(["b"])"},           {ids[2], "m2", 0.5, R"([])"},
  };
  std::vector<TaskPrediction> items;
  for (const Row& r : rows) items.push_back({r.task_id, Model(r.model)});
  auto preds = Ok(store().AddPredictions(p.id, items, kT0));
  ASSERT_EQ(preds.size(), 8u);
  std::vector<Disagreement> scores;
  for (size_t i = 0; i < preds.size(); ++i) {
    scores.push_back({.prediction_id = preds[i].id,
                      .score = rows[i].score,
                      .controls_json = "[]",
                      .labels_json = rows[i].labels,
                      .computed_at_ms = kT0});
  }
  Ok(store().SetDisagreements(scores));
  auto foreign = Ok(store().AddPredictions(other.id, {{other_ids[0], Model("m1")}}, kT0));
  ASSERT_EQ(foreign.size(), 1u);
  Ok(store().SetDisagreements({{.prediction_id = foreign[0].id,
                                .score = 1,
                                .controls_json = "[]",
                                .labels_json = R"(["cat"])"}}));
  auto claim = ClaimNext(p.id, ann.id);
  ASSERT_TRUE(claim);
  ASSERT_EQ(claim->task.id, ids[0]);
  Ok(Submit(*claim));
  auto id = [&](int i) { return preds[i].id; };

  // Score descending, then prediction id; the page size walks through ties.
  std::vector<int64_t> walked;
  DisagreementQuery query{.project_id = p.id, .limit = 2};
  std::vector<bool> more;
  while (true) {
    DisagreementPage page = Ok(store().ListDisagreements(query));
    EXPECT_EQ(page.total, 8);
    more.push_back(page.more);
    for (const Disagreement& d : page.items) walked.push_back(d.prediction_id);
    if (!page.more || page.items.empty()) break;
    query.after = std::pair{page.items.back().score, page.items.back().prediction_id};
  }
  EXPECT_EQ(walked, (std::vector<int64_t>{id(0), id(1), id(2), id(3), id(7), id(6), id(4), id(5)}));
  EXPECT_EQ(more, (std::vector<bool>{true, true, true, false}));

  DisagreementPage first = Ok(store().ListDisagreements({.project_id = p.id, .limit = 3}));
  ASSERT_EQ(first.items.size(), 3u);
  EXPECT_EQ(first.items[0].model_name, "m1");
  EXPECT_EQ(first.items[0].model_version, "m1-v1");
  EXPECT_EQ(first.items[0].state, TaskState::kDone);
  EXPECT_EQ(first.items[2].state, TaskState::kNew);
  EXPECT_EQ(first.items[1].labels_json, R"(["dog", "cat"])") << "stored as given";

  struct Case {
    const char* name;
    DisagreementQuery query;
    std::vector<int64_t> ids;
  };
  const Case cases[] = {
      {"model m2", {.project_id = p.id, .model_name = "m2"}, {id(1), id(7), id(4)}},
      {"label cat", {.project_id = p.id, .label = "cat"}, {id(0), id(1)}},
      {"label dog of m1", {.project_id = p.id, .model_name = "m1", .label = "dog"}, {}},
      {"label with quotes", {.project_id = p.id, .label = "say \"hi\""}, {id(2)}},
      {"label with a quote", {.project_id = p.id, .label = "a\"b"}, {id(3)}},
      {"label b (not the end of a\\\"b)", {.project_id = p.id, .label = "b"}, {id(6)}},
      {"label with a backslash", {.project_id = p.id, .label = "back\\slash"}, {id(4)}},
      {"label written escaped", {.project_id = p.id, .label = "café"}, {id(5)}},
      {"part of a label", {.project_id = p.id, .label = "hi"}, {}},
      {"min score", {.project_id = p.id, .min_score = 0.5}, {id(0), id(1), id(2), id(3), id(7)}},
      {"min score after a tie",
       {.project_id = p.id, .min_score = 0.5, .after = std::pair{0.5, id(2)}},
       {id(3), id(7)}},
      {"min score above all", {.project_id = p.id, .min_score = 0.95}, {}},
      {"another project", {.project_id = other.id}, {foreign[0].id}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    DisagreementPage page = Ok(store().ListDisagreements(c.query));
    EXPECT_EQ(PredictionIds(page), c.ids);
    EXPECT_FALSE(page.more);
    if (!c.query.after) {
      EXPECT_EQ(page.total, static_cast<int64_t>(c.ids.size()));
    }
  }
  DisagreementPage after_tie = Ok(store().ListDisagreements(
      {.project_id = p.id, .min_score = 0.5, .after = std::pair{0.5, id(2)}}));
  EXPECT_EQ(after_tie.total, 5) << "total ignores the cursor";
  for (int32_t limit : {0, 1001}) {
    EXPECT_EQ(store().ListDisagreements({.project_id = p.id, .limit = limit}).status().code(),
              StatusCode::kInvalidArgument)
        << limit;
  }
}

// --- reading the counters and the annotations ---------------------------------------------

TEST_P(StoreConformanceTest, ReadStatsTakesTheDaysFromInclusiveToExclusive) {
  Project p = AddProject(/*overlap=*/1, /*lease_seconds=*/600);
  Project q = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  AddTasks(p.id, 3);
  AddTasks(q.id, 1);
  const int64_t day = kDay + 2;
  // The last millisecond of day - 1, the first of day, and one of day + 1.
  const int64_t times[] = {day * kDayMs - 1, day * kDayMs, (day + 1) * kDayMs + 5};
  for (int i = 0; i < 3; ++i) {
    auto claim = ClaimNext(p.id, ann.id, times[i]);
    ASSERT_TRUE(claim);
    Ok(SubmitAt(store(), *claim, 100 * (i + 1), times[i]));
  }
  auto claim = ClaimNext(q.id, ann.id, times[1]);
  ASSERT_TRUE(claim);
  Ok(SubmitAt(store(), *claim, 5, times[1]));

  auto on = [&](int64_t d, int64_t lead) {
    return std::vector<StatRow>{{ann.id, d, "accepted", 1, 0},
                                {ann.id, d, "labels", 1, double(lead)},
                                {ann.id, d, Lead(lead), 1, 0}};
  };
  auto project_on = [&](int64_t d, int64_t at) {
    return std::vector<StatRow>{{0, d, "done", 1, double(at - kT0)}, {0, d, Turn(at - kT0), 1, 0}};
  };
  auto concat = [](std::initializer_list<std::vector<StatRow>> parts) {
    std::vector<StatRow> out;
    for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
    return DescribeAll(out);
  };
  EXPECT_EQ(DescribeAll(Plain(Ok(store().ReadStats({p.id, day, day + 1})))),
            concat({project_on(day, times[1]), on(day, 200)}));
  EXPECT_EQ(
      DescribeAll(Plain(Ok(store().ReadStats({p.id, day - 1, day + 2})))),
      concat({project_on(day - 1, times[0]), on(day - 1, 100), project_on(day, times[1]),
              on(day, 200), project_on(day + 1, times[2]), on(day + 1, 300)}));
  EXPECT_EQ(DescribeAll(Plain(Ok(store().ReadStats({p.id, day + 1, day + 30})))),
            concat({project_on(day + 1, times[2]), on(day + 1, 300)}));
  EXPECT_TRUE(Ok(store().ReadStats({p.id, day, day})).empty());
  EXPECT_TRUE(Ok(store().ReadStats({p.id, day + 2, day + 30})).empty());
  EXPECT_TRUE(Ok(store().ReadStats({99999, day - 1, day + 2})).empty());
}

TEST_P(StoreConformanceTest, ListAnnotationRefsGivesCountingAnnotationsInTheRange) {
  Project p = AddProject(/*overlap=*/1);
  Project other = AddProject(/*overlap=*/1);
  User a = AddUser("a"), b = AddUser("b"), c = AddUser("c"), r = AddUser("r", Role::kReviewer);
  auto ids = AddTasks(p.id, 5);
  AddTasks(other.id, 1);
  Ok(store().SetGoldenAnswer(ids[4], GoldenAnswer{"[]", ""}));
  RevisionHooks hooks = Routing([&](const CompletionInput& input) {
    return input.current.front().user_id == c.id ? TaskState::kReviewing : TaskState::kDone;
  });
  std::map<std::pair<int64_t, int64_t>, int64_t> annotation;  // (user, time) -> id
  auto label = [&](const User& u, int64_t project_id, int64_t at) {
    auto claim = ClaimNext(project_id, u.id, at);
    if (!claim) {
      ADD_FAILURE() << u.username << " got no task";
      return;
    }
    annotation[{u.id, at}] = Ok(SubmitAt(store(), *claim, 10, at, &hooks)).annotation_id;
  };
  label(a, p.id, kT0 + 100);
  label(a, other.id, kT0 + 150);
  label(b, p.id, kT0 + 200);
  label(c, p.id, kT0 + 300);
  label(a, p.id, kT0 + 400);
  // Not counting: a golden task's annotation and a reviewer's fix.
  auto golden = Ok(store().ClaimGoldenTask(p.id, b.id, kT0 + 250));
  ASSERT_TRUE(golden);
  Ok(SubmitAt(store(), *golden, 10, kT0 + 250, &hooks));
  Decide(store(), p.id, r.id, TaskState::kReviewing, ids[2], Store::Decision::kFix, kT0 + 350);

  auto refs = [&](AnnotationQuery query) {
    std::vector<std::tuple<int64_t, int64_t, int64_t>> out;
    for (const AnnotationRef& ref : Ok(store().ListAnnotationRefs(query))) {
      out.emplace_back(ref.annotation_id, ref.task_id, ref.user_id);
    }
    return out;
  };
  using Refs = std::vector<std::tuple<int64_t, int64_t, int64_t>>;
  const Refs a100{{annotation[{a.id, kT0 + 100}], ids[0], a.id}};
  const Refs b200{{annotation[{b.id, kT0 + 200}], ids[1], b.id}};
  const Refs c300{{annotation[{c.id, kT0 + 300}], ids[2], c.id}};
  const Refs a400{{annotation[{a.id, kT0 + 400}], ids[3], a.id}};
  auto cat = [](std::initializer_list<Refs> parts) {
    Refs out;
    for (const Refs& part : parts) out.insert(out.end(), part.begin(), part.end());
    return out;
  };
  EXPECT_EQ(refs({.project_id = p.id, .from_ms = kT0 + 100, .to_ms = kT0 + 400}),
            cat({a100, b200, c300}));
  EXPECT_EQ(refs({.project_id = p.id, .from_ms = kT0 + 101, .to_ms = kT0 + 401}),
            cat({b200, c300, a400}));
  EXPECT_EQ(
      refs({.project_id = p.id, .user_ids = {a.id, c.id}, .from_ms = kT0, .to_ms = kT0 + 1000}),
      cat({a100, c300, a400}));
  EXPECT_EQ(refs({.project_id = p.id, .user_ids = {r.id}, .from_ms = kT0, .to_ms = kT0 + 1000}),
            Refs{});
  EXPECT_EQ(refs({.project_id = p.id, .from_ms = kT0 + 100, .to_ms = kT0 + 100}), Refs{});
}

// --- concurrency and dumps
// ------------------------------------------------------------------------

TEST_P(StoreConformanceTest, CountersAreExactUnderConcurrentSubmits) {
  constexpr int kThreads = 4, kSubmits = 50;
  Project p = AddProject(/*overlap=*/1, /*lease_seconds=*/600);
  std::vector<User> people;
  for (int i = 0; i < kThreads; ++i) people.push_back(AddUser("u" + std::to_string(i)));
  AddTasks(p.id, kThreads * kSubmits);
  RevisionHooks hooks;
  hooks.complete = [](const CompletionInput& input) -> Result<Completion> {
    Completion c = DefaultCompletion(input);
    c.stats = {{0, "fleiss.0", 1, 0.5}, {input.current.front().user_id, "agree", 1, 0.25}};
    return c;
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (const User& u : people) {
    threads.emplace_back([&, u] {
      for (int i = 0; i < kSubmits; ++i) {
        auto claim = store().ClaimNextTask(p.id, u.id, kT0 + 10);
        if (!claim.ok() || !claim->has_value() ||
            !SubmitAt(store(), **claim, 100 + i, kT0 + 1000, &hooks).ok()) {
          ++failures;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  Counters counters = CountersOn(store(), p.id, kDay);
  auto at = [&](int64_t user, const std::string& metric) { return counters[{user, metric}]; };
  const double lead_sum = kSubmits * 100 + kSubmits * (kSubmits - 1) / 2;
  for (const User& u : people) {
    EXPECT_EQ(at(u.id, "labels"), (std::pair<int64_t, double>{kSubmits, lead_sum})) << u.username;
    EXPECT_EQ(at(u.id, "accepted").first, kSubmits) << u.username;
    EXPECT_EQ(at(u.id, "agree"), (std::pair<int64_t, double>{kSubmits, kSubmits * 0.25}));
  }
  EXPECT_EQ(at(0, "done"),
            (std::pair<int64_t, double>{kThreads * kSubmits, kThreads * kSubmits * 1000.0}));
  EXPECT_EQ(at(0, "fleiss.0"),
            (std::pair<int64_t, double>{kThreads * kSubmits, kThreads * kSubmits * 0.5}));
  EXPECT_EQ(at(0, Turn(1000)).first, kThreads * kSubmits);
}

TEST_P(StoreConformanceTest, DumpAndLoadCarryCountersDisagreementsAndResentTasks) {
  Project p = AddProject(/*overlap=*/1, /*lease_seconds=*/600);
  User ann = AddUser("ann"), rev = AddUser("rev", Role::kReviewer);
  auto ids = AddTasks(p.id, 3);
  auto preds = Ok(
      store().AddPredictions(p.id, {{ids[0], Model("m1", 0.125)}, {ids[1], Model("m2")}}, kT0 + 1));
  ASSERT_EQ(preds.size(), 2u);
  RevisionHooks hooks;
  hooks.complete = [](const CompletionInput& input) -> Result<Completion> {
    Completion c = DefaultCompletion(input);
    c.stats = {{input.current.front().user_id, "agree", 1, 1.0 / 3}, {0, "fleiss.0", 1, 0.1}};
    for (const Prediction& p : input.predictions) {
      c.disagreements.push_back({.prediction_id = p.id,
                                 .score = 2.0 / 3,
                                 .controls_json = R"([{"control": "pet", "score": 0.6666}])",
                                 .labels_json = R"(["caf\u00e9", "say \"hi\"\t"])"});
    }
    return c;
  };
  for (int64_t at : {kT0 + 100, kT0 + kSameDayMs + kDayMs, kT0 + 2 * kDayMs}) {
    auto claim = ClaimNext(p.id, ann.id, at);
    ASSERT_TRUE(claim);
    Ok(SubmitAt(store(), *claim, 1234, at, &hooks));
  }
  ASSERT_EQ(Ok(store().SendToReview({ids[0]}, kT0 + 2 * kDayMs)), std::vector<int64_t>{ids[0]});

  const std::vector<DumpedRow> dump = DumpAll(store());
  std::set<std::string> tables;
  for (const DumpedRow& row : dump) tables.insert(row.table);
  EXPECT_EQ(tables.count("stat_counters"), 1u);
  EXPECT_EQ(tables.count("disagreements"), 1u);
  std::unique_ptr<Store> loaded = OpenNewDatabase();
  ASSERT_NE(loaded, nullptr);
  Ok(LoadAll(dump, *loaded));
  EXPECT_EQ(DumpAll(*loaded), dump);
  const StatQuery all{p.id, kDay - 1, kDay + 10};
  EXPECT_EQ(DescribeAll(Ok(loaded->ReadStats(all))), DescribeAll(Ok(store().ReadStats(all))));
  EXPECT_EQ(Ok(loaded->ReadStats(all)).size(), Ok(store().ReadStats(all)).size());
  EXPECT_EQ(DescribeAll(Ok(loaded->ListDisagreements({.project_id = p.id})).items),
            DescribeAll(Ok(store().ListDisagreements({.project_id = p.id})).items));
  EXPECT_EQ(Ok(loaded->ListDisagreements({.project_id = p.id, .label = "say \"hi\"\t"})).total, 2);
  const AnnotationQuery refs{.project_id = p.id, .from_ms = kT0, .to_ms = kT0 + 3 * kDayMs};
  EXPECT_EQ(Ok(loaded->ListAnnotationRefs(refs)).size(), 3u);

  // The loaded task remembers it was sent back: accepting it counts only the review.
  const int64_t today = stats::DayOf(kT0 + 2 * kDayMs);
  Counters before = CountersOn(*loaded, p.id, today);
  auto claim = Ok(loaded->ClaimReviewTask(p.id, rev.id, TaskState::kReviewing, kT0 + 2 * kDayMs));
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->task.id, ids[0]);
  Ok(loaded->RecordReview({.task_id = ids[0],
                           .reviewer_id = rev.id,
                           .lease_id = claim->lease.id,
                           .decision = Store::Decision::kAccept},
                          kT0 + 2 * kDayMs + 1));
  before[{ann.id, "reviewed"}] = {1, 0};
  before[{rev.id, "reviews"}] = {1, 0};
  EXPECT_EQ(CountersOn(*loaded, p.id, today), before);
}

}  // namespace plumb::store
