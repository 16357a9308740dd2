// The conformance suite's part for automation (docs/automation.md): ML
// backends, prediction jobs claimed by one runner at a time, the pre-label
// each annotation started from with its counters, and learner models.

#include <string>
#include <thread>
#include <vector>

#include "core/stats.h"
#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

int64_t Counter(Store& store, int64_t project_id, const std::string& metric, double* sum) {
  const int64_t day = stats::DayOf(kT0);
  int64_t n = 0;
  for (const StatRow& r : Ok(store.ReadStats({project_id, day, day + 1}))) {
    if (r.metric == metric) {
      n += r.count;
      if (sum != nullptr) *sum += r.sum;
    }
  }
  return n;
}

MlBackend Backend(int64_t project_id, const std::string& name) {
  return {.project_id = project_id, .name = name, .url = "http://127.0.0.1:9", .protocol = "plumb"};
}

TEST_P(StoreConformanceTest, MlBackendsAreKeptPerProjectWithTheirHealth) {
  Project p = AddProject(), q = AddProject();
  MlBackend a = Ok(store().CreateMlBackend(Backend(p.id, "ner"), kT0));
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.health, "unknown");
  EXPECT_EQ(a.created_at_ms, kT0);
  EXPECT_EQ(store().CreateMlBackend(Backend(p.id, "ner"), kT0).status().code(),
            StatusCode::kAlreadyExists);
  Ok(store().CreateMlBackend(Backend(q.id, "ner"), kT0));  // names are per project
  EXPECT_EQ(store().CreateMlBackend(Backend(9999, "x"), kT0).status().code(),
            StatusCode::kNotFound);
  MlBackend bad = Backend(p.id, "bad");
  bad.protocol = "grpc";
  EXPECT_EQ(store().CreateMlBackend(bad, kT0).status().code(), StatusCode::kInvalidArgument);

  MlBackend b = Ok(store().CreateMlBackend(Backend(p.id, "cls"), kT0));
  ASSERT_EQ(Ok(store().ListMlBackends(p.id)).size(), 2u);
  EXPECT_EQ(Ok(store().ListMlBackends(std::nullopt)).size(), 3u);

  Ok(store().RecordMlBackendHealth(a.id, "error", "connection refused", "", kT0 + 5));
  Ok(store().RecordMlBackendHealth(b.id, "ok", "", "v7", kT0 + 6));
  MlBackend got = Ok(store().GetMlBackend(a.id));
  EXPECT_EQ(got.health, "error");
  EXPECT_EQ(got.last_error, "connection refused");
  EXPECT_EQ(got.checked_at_ms, kT0 + 5);
  EXPECT_EQ(Ok(store().GetMlBackend(b.id)).model_version, "v7");
  Ok(store().RecordMlBackendHealth(b.id, "ok", "", "", kT0 + 7));
  EXPECT_EQ(Ok(store().GetMlBackend(b.id)).model_version, "v7") << "an empty version keeps it";

  got.url = "http://10.0.0.1:8080/m";
  got.protocol = "label_studio";
  got.batch_size = 32;
  got.enabled = false;
  got.health = "ok";  // not changed by an update
  MlBackend updated = Ok(store().UpdateMlBackend(got));
  EXPECT_EQ(updated.url, "http://10.0.0.1:8080/m");
  EXPECT_EQ(updated.protocol, "label_studio");
  EXPECT_EQ(updated.batch_size, 32);
  EXPECT_FALSE(updated.enabled);
  EXPECT_EQ(updated.health, "error");
  got.name = "cls";
  EXPECT_EQ(store().UpdateMlBackend(got).status().code(), StatusCode::kAlreadyExists);

  Ok(store().DeleteMlBackend(a.id));
  EXPECT_EQ(store().GetMlBackend(a.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteMlBackend(a.id).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, PredictionJobsAreHeldByOneRunnerAndEndOnce) {
  Project p = AddProject(), q = AddProject();
  User mia = AddUser("mia", Role::kManager);
  MlBackend b = Ok(store().CreateMlBackend(Backend(p.id, "ner"), kT0));
  MlBackend other = Ok(store().CreateMlBackend(Backend(q.id, "ner"), kT0));
  EXPECT_EQ(store()
                .CreatePredictionJob({.project_id = p.id, .backend_id = other.id,
                                      .trigger = "manual", .created_by = mia.id},
                                     kT0)
                .status()
                .code(),
            StatusCode::kNotFound)
      << "a backend of another project";
  PredictionJob first = Ok(store().CreatePredictionJob(
      {.project_id = p.id, .backend_id = b.id, .trigger = "manual",
       .filter_json = R"({"only_missing":true})", .total = 3, .created_by = mia.id},
      kT0));
  PredictionJob second = Ok(store().CreatePredictionJob(
      {.project_id = p.id, .backend_id = b.id, .trigger = "import", .created_by = mia.id},
      kT0 + 1));
  EXPECT_EQ(first.state, JobState::kQueued);
  EXPECT_EQ(first.total, 3);
  EXPECT_EQ(second.filter_json, "{}");

  auto claimed = Ok(store().ClaimPredictionJob(kT0 + 10, 1000));
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, first.id);
  EXPECT_EQ(claimed->state, JobState::kRunning);
  EXPECT_EQ(claimed->held_until_ms, kT0 + 1010);
  auto next = Ok(store().ClaimPredictionJob(kT0 + 10, 1000));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, second.id) << "a held job is not handed out twice";
  EXPECT_FALSE(Ok(store().ClaimPredictionJob(kT0 + 10, 1000)).has_value());

  EXPECT_TRUE(Ok(store().UpdatePredictionJob(
      first.id, {.cursor = 5, .processed = 2, .predicted = 1, .failed = 1, .last_error = "boom",
                 .held_until_ms = kT0 + 2000},
      kT0 + 20)));
  PredictionJob progress = Ok(store().GetPredictionJob(first.id));
  EXPECT_EQ(progress.cursor, 5);
  EXPECT_EQ(progress.processed, 2);
  EXPECT_EQ(progress.failed, 1);
  EXPECT_EQ(progress.last_error, "boom");
  EXPECT_FALSE(progress.finished_at_ms.has_value());

  // A hold that ran out (a runner died) lets another runner take the job on.
  auto again = Ok(store().ClaimPredictionJob(kT0 + 2000, 1000));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, second.id) << "second's hold ended first";

  PredictionJob cancelled = Ok(store().CancelPredictionJob(second.id, kT0 + 2001));
  EXPECT_EQ(cancelled.state, JobState::kCancelled);
  EXPECT_EQ(cancelled.finished_at_ms, kT0 + 2001);
  EXPECT_FALSE(Ok(store().UpdatePredictionJob(second.id, {.state = JobState::kDone}, kT0 + 2002)))
      << "a cancelled job takes no more progress";
  EXPECT_EQ(Ok(store().GetPredictionJob(second.id)).state, JobState::kCancelled);

  EXPECT_TRUE(Ok(store().UpdatePredictionJob(first.id, {.cursor = 9, .processed = 3,
                                                        .state = JobState::kDone},
                                             kT0 + 3000)));
  PredictionJob done = Ok(store().GetPredictionJob(first.id));
  EXPECT_EQ(done.state, JobState::kDone);
  EXPECT_EQ(done.finished_at_ms, kT0 + 3000);
  EXPECT_EQ(Ok(store().CancelPredictionJob(first.id, kT0 + 3001)).state, JobState::kDone)
      << "an ended job stays as it ended";
  EXPECT_FALSE(Ok(store().ClaimPredictionJob(kT0 + 99'000, 1000)).has_value());

  std::vector<PredictionJob> list = Ok(store().ListPredictionJobs(p.id, 10));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, second.id) << "newest first";
  EXPECT_EQ(store().GetPredictionJob(9999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().UpdatePredictionJob(9999, {}, kT0).status().code(), StatusCode::kNotFound);

  Ok(store().DeleteMlBackend(b.id));
  EXPECT_TRUE(Ok(store().ListPredictionJobs(p.id, 10)).empty()) << "jobs go with their backend";
}

TEST_P(StoreConformanceTest, FirstRevisionsRecordThePrelabelTheyStartedFrom) {
  Project p = AddProject();
  User ann = AddUser("ann"), ben = AddUser("ben"), cal = AddUser("cal");
  AddTasks(p.id, 3);
  const std::string cat = R"([{"control":"pet","type":"choice","values":["cat"]}])";
  auto submit = [&](const User& u, std::optional<PrelabelUse> use, int64_t lead) {
    std::optional<Claim> c = ClaimNext(p.id, u.id);
    if (!c) {
      ADD_FAILURE() << "no task for " << u.username;
      return Revision{};
    }
    return Ok(store().AppendRevision({.task_id = c->task.id,
                                      .user_id = u.id,
                                      .lease_id = c->lease.id,
                                      .result_json = cat,
                                      .lead_time_ms = lead,
                                      .track_prelabel = true,
                                      .prelabel = use},
                                     kT0));
  };
  PrelabelUse edited{.prediction_id = 11, .model_name = "m", .model_version = "2",
                     .outcome = PrelabelOutcome::kEdited};
  Revision r1 = submit(ann, edited, 1000);
  PrelabelUse unchanged = edited;
  unchanged.outcome = PrelabelOutcome::kUnchanged;
  submit(ben, unchanged, 400);
  submit(cal, std::nullopt, 3000);
  // A later revision of ann's annotation is not a new start.
  Ok(store().AppendRevision({.task_id = r1.task_id, .user_id = ann.id, .result_json = cat,
                             .lead_time_ms = 50, .track_prelabel = true, .prelabel = edited},
                            kT0));

  double sum = 0;
  EXPECT_EQ(Counter(store(), p.id, "pre.edited.m@2", &sum), 1);
  EXPECT_EQ(sum, 1000);
  EXPECT_EQ(Counter(store(), p.id, "pre.unchanged.m@2", nullptr), 1);
  sum = 0;
  EXPECT_EQ(Counter(store(), p.id, stats::kPrelabelNone, &sum), 1);
  EXPECT_EQ(sum, 3000);

  int rows = 0;
  for (const DumpedRow& row : DumpAll(store())) {
    if (row.table != "prelabel_uses") continue;
    ++rows;
    EXPECT_EQ(row.values.size(), row.columns.size());
  }
  EXPECT_EQ(rows, 2) << "one row per annotation started from a pre-label";
}

TEST_P(StoreConformanceTest, LearnerModelsAreStoredAsBytesAndReplaced) {
  Project p = AddProject();
  EXPECT_FALSE(Ok(store().GetLearnerModel(p.id, "pet")).has_value());
  const std::string bytes("\0\x01\xfe\xff model", 10);
  Ok(store().PutLearnerModel(
      {.project_id = p.id, .control = "pet", .model = bytes, .updates = 1, .updated_at_ms = kT0}));
  Ok(store().PutLearnerModel({.project_id = p.id, .control = "pet", .model = bytes + "2",
                              .updates = 2, .updated_at_ms = kT0 + 1}));
  auto got = Ok(store().GetLearnerModel(p.id, "pet"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->model, bytes + "2");
  EXPECT_EQ(got->updates, 2);
  EXPECT_EQ(got->updated_at_ms, kT0 + 1);
  EXPECT_EQ(store().PutLearnerModel({.project_id = 9999, .control = "pet"}).code(),
            StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, TheTrainQueueKeepsEachAcceptedLabelOnceOldestFirst) {
  Project p = AddProject(), q = AddProject();
  std::vector<int64_t> ps = AddTasks(p.id, 2), qs = AddTasks(q.id, 1);
  Ok(store().QueueTrain(p.id, ps[1], kT0 + 1));
  Ok(store().QueueTrain(q.id, qs[0], kT0 + 2));
  Ok(store().QueueTrain(p.id, ps[0], kT0 + 3));
  Ok(store().QueueTrain(p.id, ps[1], kT0 + 4));  // already queued: stays where it was
  Ok(store().QueueTrain(q.id, ps[0], kT0 + 5));  // not q's task: nothing
  auto pending = Ok(store().PendingTrains(kT0 + 100, 10));
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].project_id, p.id);
  EXPECT_EQ(pending[0].task_id, ps[1]);
  EXPECT_EQ(pending[1].task_id, qs[0]);
  EXPECT_EQ(pending[2].task_id, ps[0]);
  EXPECT_EQ(Ok(store().PendingTrains(kT0 + 100, 1)).size(), 1u);
  EXPECT_EQ(Ok(store().PendingTrains(kT0 + 3, 10)).size(), 2u) << "only those queued before";
  Ok(store().DeleteTrain(p.id, ps[1]));
  pending = Ok(store().PendingTrains(kT0 + 100, 10));
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].task_id, qs[0]);
}

ProjectSettings Ordered(QueueOrder order) {
  ProjectSettings s;
  s.queue_order = order;
  s.learner_control = "pet";
  return s;
}

// The claim order a fresh user gets, draining the queue (and the rules used).
std::vector<int64_t> DrainAs(Store& store, int64_t project_id, int64_t user_id,
                             std::vector<ClaimRule>* rules = nullptr) {
  std::vector<int64_t> ids;
  while (auto claim = Ok(store.ClaimNextTask(project_id, user_id, kT0))) {
    ids.push_back(claim->task.id);
    if (rules != nullptr) rules->push_back(claim->rule);
    Ok(store.SkipTask(claim->task.id, user_id, claim->lease.id, kT0));
  }
  return ids;
}

TEST_P(StoreConformanceTest, UncertaintyOrderHandsOutTheLeastCertainTasksFirst) {
  Project p = AddProject(), other = AddProject();
  std::vector<int64_t> ids = AddTasks(p.id, std::vector<int32_t>{0, 0, 0, 0, 5});
  std::vector<int64_t> others = AddTasks(other.id, std::vector<int32_t>{0});
  // In import order ranks are not even stored: the default claim is untouched.
  Ok(store().SetTaskUncertainty(p.id, {{ids[0], 0.9}, {ids[1], 0.1}}));
  EXPECT_EQ(DrainAs(store(), p.id, AddUser("a").id),
            (std::vector<int64_t>{ids[4], ids[0], ids[1], ids[2], ids[3]}));

  Ok(store().UpdateProject(p.id, {.settings = Ordered(QueueOrder::kUncertainty)}));
  // Switching the order on ranks every task at 1 (nothing known): id order.
  EXPECT_EQ(DrainAs(store(), p.id, AddUser("b").id),
            (std::vector<int64_t>{ids[4], ids[0], ids[1], ids[2], ids[3]}))
      << "ranks written while the order was off are ignored";
  // ids[3] stays unranked at 1; another project's task id is ignored.
  Ok(store().SetTaskUncertainty(p.id, {{ids[0], 0.2},
                                       {ids[1], 0.9},
                                       {ids[2], 0.5},
                                       {ids[4], 0.1},
                                       {others[0], 0.0},
                                       {999999, 0.3}}));
  std::vector<ClaimRule> rules;
  EXPECT_EQ(DrainAs(store(), p.id, AddUser("c").id, &rules),
            (std::vector<int64_t>{ids[4], ids[3], ids[1], ids[2], ids[0]}))
      << "priority first, then uncertainty, higher first";
  EXPECT_EQ(rules, std::vector<ClaimRule>(5, ClaimRule::kUncertainty));

  // Tasks imported into the ordered project are ranked at 1 when it commits.
  std::vector<int64_t> later = AddTasks(p.id, std::vector<int32_t>{0});
  EXPECT_EQ(DrainAs(store(), p.id, AddUser("d").id),
            (std::vector<int64_t>{ids[4], ids[3], later[0], ids[1], ids[2], ids[0]}));

  // A task taken by someone else is skipped; one left open comes back.
  User e = AddUser("e"), f = AddUser("f");
  auto first = Ok(store().ClaimNextTask(p.id, e.id, kT0));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->task.id, ids[4]);
  auto second = Ok(store().ClaimNextTask(p.id, f.id, kT0));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->task.id, ids[3]) << "overlap 1: the leased task has no slot left";

  // Back to import order: ranks are cleared and the old order returns.
  Ok(store().UpdateProject(p.id, {.settings = Ordered(QueueOrder::kImport)}));
  std::vector<ClaimRule> import_rules;
  EXPECT_EQ(DrainAs(store(), p.id, AddUser("g").id, &import_rules),
            (std::vector<int64_t>{ids[0], ids[1], ids[2], later[0]}));
  EXPECT_EQ(import_rules, std::vector<ClaimRule>(4, ClaimRule::kPriority));
  // And on again: everything starts at 1, whatever was stored before.
  Ok(store().UpdateProject(p.id, {.settings = Ordered(QueueOrder::kUncertainty)}));
  EXPECT_EQ(DrainAs(store(), p.id, AddUser("h").id),
            (std::vector<int64_t>{ids[0], ids[1], ids[2], later[0]}));
}

TEST_P(StoreConformanceTest, AnImportSaysWhereItsTaskIdsStart) {
  Project p = AddProject();
  AddTasks(p.id, std::vector<int32_t>{0, 0});
  auto writer = Ok(store().BeginImport(p.id, kT0));
  const int64_t after = writer->ids_after();
  Ok(writer->Add({.data_json = R"({"n":1})"}));
  Ok(writer->Commit());
  writer.reset();
  std::vector<int64_t> all = ListIds({.project_id = p.id, .limit = 100});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_GE(after, all[1]);
  EXPECT_LT(after, all[2]);
}

TEST_P(StoreConformanceTest, PredictionsMarkedOnceAreStoredOncePerModelVersion) {
  Project p = AddProject();
  std::vector<int64_t> ids = AddTasks(p.id, std::vector<int32_t>{0, 0});
  auto prediction = [&](int64_t task, const std::string& version, bool once) {
    TaskPrediction tp;
    tp.task_id = task;
    tp.prediction = {"learner", version, 0.7, "[]", ""};
    tp.once = once;
    return tp;
  };
  EXPECT_EQ(Ok(store().AddPredictions(p.id, {prediction(ids[0], "1", true)}, kT0)).size(), 1u);
  // Again (a second job, or a second runner): the same version is not stored twice.
  auto again = Ok(store().AddPredictions(
      p.id, {prediction(ids[0], "1", true), prediction(ids[1], "1", true)}, kT0));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].task_id, ids[1]);
  // A new version, and unmarked items, are stored as ever.
  EXPECT_EQ(Ok(store().AddPredictions(
                   p.id, {prediction(ids[0], "2", true), prediction(ids[0], "1", false)}, kT0))
                .size(),
            2u);
  EXPECT_EQ(Ok(store().ListPredictions({ids[0]})).size(), 3u);
  // Concurrent writers of the same predictions store each once.
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&] {
      Status st = store()
                      .AddPredictions(
                          p.id, {prediction(ids[0], "3", true), prediction(ids[1], "3", true)}, kT0)
                      .status();
      EXPECT_TRUE(st.ok()) << st.ToString();
    });
  }
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(Ok(store().ListPredictions({ids[0], ids[1]})).size(), 6u);
}

TEST_P(StoreConformanceTest, SpanPrelabelersAreKeptPerProjectAndReplaced) {
  Project p = AddProject(), q = AddProject();
  EXPECT_FALSE(Ok(store().GetSpanPrelabeler(p.id)).has_value());
  Ok(store().PutSpanPrelabeler({p.id, "ner", R"({"labels":{}})", "v1", 1, kT0}));
  Ok(store().PutSpanPrelabeler({p.id, "ents", R"({"labels":{"PER":{}}})", "v2", 1, kT0 + 1}));
  auto got = Ok(store().GetSpanPrelabeler(p.id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->control, "ents");
  EXPECT_EQ(got->config_json, R"({"labels":{"PER":{}}})");
  EXPECT_EQ(got->version, "v2");
  EXPECT_EQ(got->updated_at_ms, kT0 + 1);
  EXPECT_FALSE(Ok(store().GetSpanPrelabeler(q.id)).has_value());
  EXPECT_EQ(store().PutSpanPrelabeler({9999, "ner", "{}", "v", 1, kT0}).code(),
            StatusCode::kNotFound);
  Ok(store().DeleteSpanPrelabeler(p.id));
  EXPECT_FALSE(Ok(store().GetSpanPrelabeler(p.id)).has_value());
  Ok(store().DeleteSpanPrelabeler(p.id));  // none: no-op
}

}  // namespace
}  // namespace plumb::store
