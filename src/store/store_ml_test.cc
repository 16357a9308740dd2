// The conformance suite's part for automation (docs/automation.md): ML
// backends, prediction jobs claimed by one runner at a time, the pre-label
// each annotation started from with its counters, and learner models.

#include <string>
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

}  // namespace
}  // namespace plumb::store
