// The conformance suite's part for the workflow engine (docs/workflow.md):
// completion and final labels, review, rework, golden tasks, deadlines,
// workforces and routing, batches, events and deliveries.

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <thread>

#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

// Hooks whose completion sends every task to `state` with a fixed label, and
// that record what they were called with.
struct RecordingHooks {
  TaskState state = TaskState::kDone;
  std::vector<CompletionInput> inputs;
  RevisionHooks hooks;

  RecordingHooks() {
    hooks.complete = [this](const CompletionInput& input) -> Result<Completion> {
      inputs.push_back(input);
      Completion c;
      c.state = state;
      c.label.result_json = R"([{"control":"x","type":"choice","values":["agreed"]}])";
      c.label.method = "majority";
      c.label.agreement = 0.5;
      return c;
    };
    hooks.grade = [](const GoldenAnswer& answer, const Revision& r) -> Result<GoldenGrade> {
      GoldenGrade g;
      g.score = answer.result_json == r.result_json ? 1.0 : 0.25;
      g.correct = g.score >= 0.8;
      return g;
    };
  }
};

Result<Revision> SubmitWith(Store& store, const Claim& claim, const std::string& result,
                            const RevisionHooks* hooks, int64_t now_ms = kT0,
                            bool queue_train = false) {
  NewRevision rev;
  rev.task_id = claim.task.id;
  rev.user_id = claim.lease.user_id;
  rev.lease_id = claim.lease.id;
  rev.result_json = result;
  rev.hooks = hooks;
  rev.queue_train = queue_train;
  return store.AppendRevision(rev, now_ms);
}

std::vector<int64_t> QueuedTasks(Store& store) {
  std::vector<int64_t> ids;
  for (const TrainQueueItem& item : Ok(store.PendingTrains(INT64_MAX, 100))) {
    ids.push_back(item.task_id);
  }
  return ids;
}

}  // namespace

TEST_P(StoreConformanceTest, ACompletedTaskGetsItsFinalLabelAndATaskCompletedEvent) {
  Project p = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  Store::Webhook hook;
  hook.project_id = p.id;
  hook.url = "http://127.0.0.1:9/hook";
  hook.events = {"task.completed"};
  Store::Webhook created = Ok(store().CreateWebhook(hook, "s3cret", kT0));
  EXPECT_EQ(Ok(store().ListWebhooks(p.id)).size(), 1u);
  auto ids = AddTasks(p.id, 2);
  auto claim = ClaimNext(p.id, ann.id);
  ASSERT_TRUE(claim);
  EXPECT_EQ(claim->rule, ClaimRule::kPriority);
  Ok(SubmitWith(store(), *claim, R"([{"v":1}])", nullptr, kT0 + 5));

  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
  auto labels = Ok(store().FinalLabels({ids[0], ids[1]}));
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].task_id, ids[0]);
  EXPECT_EQ(labels[0].method, "single");
  EXPECT_EQ(labels[0].agreement, 1);
  EXPECT_NE(labels[0].result_json.find("\"v\""), std::string::npos);

  auto due = Ok(store().ClaimDueDeliveries(kT0 + 10, 10, 60'000));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].webhook_id, created.id);
  EXPECT_EQ(due[0].event_type, "task.completed");
  EXPECT_EQ(due[0].secret, "s3cret");
  EXPECT_NE(due[0].body_json.find("\"type\":\"task.completed\""), std::string::npos);
  EXPECT_NE(due[0].body_json.find("\"task_id\":" + std::to_string(ids[0])), std::string::npos);
  // Held: a second claim before the hold ends gets nothing.
  EXPECT_TRUE(Ok(store().ClaimDueDeliveries(kT0 + 20, 10, 60'000)).empty());
}

// Nothing reads an event but its deliveries, so an event no webhook of the
// project subscribes to is not stored at all.
TEST_P(StoreConformanceTest, AnEventIsStoredOnlyWhenAWebhookSubscribesToIt) {
  Project quiet = AddProject(/*overlap=*/1), hooked = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  Store::Webhook hook;
  hook.project_id = hooked.id;
  hook.url = "http://127.0.0.1:9/hook";
  hook.events = {"review.rejected", "task.completed"};
  Ok(store().CreateWebhook(hook, "k", kT0));
  hook.events = {"review.rejected"};
  Ok(store().CreateWebhook(hook, "k", kT0));
  for (const Project& p : {quiet, hooked}) {
    AddTasks(p.id, 1);
    auto claim = ClaimNext(p.id, ann.id);
    ASSERT_TRUE(claim);
    Ok(SubmitWith(store(), *claim, "[1]", nullptr, kT0 + 5));
    EXPECT_EQ(Ok(store().GetTask(claim->task.id)).state, TaskState::kDone);
  }
  std::vector<std::string> stored;  // the project of each event
  for (const DumpedRow& row : DumpAll(store())) {
    if (row.table == "events") stored.push_back(row.values[1].value_or(""));
  }
  EXPECT_EQ(stored, std::vector<std::string>{std::to_string(hooked.id)})
      << "one task.completed event, of the project whose webhook takes it";
  auto due = Ok(store().ClaimDueDeliveries(kT0 + 10, 10, 60'000));
  ASSERT_EQ(due.size(), 1u) << "only the first webhook subscribes to task.completed";
  EXPECT_EQ(due[0].event_type, "task.completed");
}

TEST_P(StoreConformanceTest, TheCompletionHookSeesEveryCountingAnnotationAndRoutesTheTask) {
  Project p = AddProject(/*overlap=*/2);
  User a = AddUser("a"), b = AddUser("b");
  auto ids = AddTasks(p.id, 1);
  RecordingHooks rec;
  rec.state = TaskState::kAdjudicating;
  auto ca = ClaimNext(p.id, a.id);
  auto cb = ClaimNext(p.id, b.id);
  ASSERT_TRUE(ca && cb);
  Ok(SubmitWith(store(), *ca, "[1]", &rec.hooks));
  EXPECT_TRUE(rec.inputs.empty()) << "one of two annotations does not complete the task";
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kAnnotating);
  Ok(SubmitWith(store(), *cb, "[2]", &rec.hooks));
  ASSERT_EQ(rec.inputs.size(), 1u);
  EXPECT_EQ(rec.inputs[0].current.size(), 2u);
  EXPECT_FALSE(rec.inputs[0].after_rework);
  EXPECT_EQ(rec.inputs[0].settings.overlap, 2);
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kAdjudicating);
  auto labels = Ok(store().FinalLabels({ids[0]}));
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].method, "majority");
  EXPECT_DOUBLE_EQ(labels[0].agreement, 0.5);
  TaskCounts counts = Ok(store().CountTasks(p.id));
  EXPECT_EQ(counts.adjudicating, 1);
}

// queue_train puts the task in the train queue in the write's own
// transaction, and only once the write leaves it done: not for the first of
// two annotations, not on the way to review; the accepting review does. Without queue_train nothing is queued.
TEST_P(StoreConformanceTest, AWriteWithQueueTrainQueuesItsTaskWhenItLeavesItDone) {
  Project p = AddProject(/*overlap=*/2);
  User a = AddUser("a"), b = AddUser("b"), rev = AddUser("rev", Role::kReviewer);
  auto ids = AddTasks(p.id, 3);
  constexpr bool kQueue = true;

  auto ca = ClaimNext(p.id, a.id), cb = ClaimNext(p.id, b.id);
  ASSERT_TRUE(ca && cb);
  ASSERT_EQ(ca->task.id, ids[0]);
  Ok(SubmitWith(store(), *ca, "[1]", nullptr, kT0, kQueue));
  EXPECT_TRUE(QueuedTasks(store()).empty()) << "one of two annotations: not done";
  Ok(SubmitWith(store(), *cb, "[1]", nullptr, kT0, kQueue));
  ASSERT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
  EXPECT_EQ(QueuedTasks(store()), std::vector<int64_t>{ids[0]});
  // A task queued again stays queued once.
  Ok(SubmitWith(store(), *cb, "[2]", nullptr, kT0 + 1, kQueue));
  EXPECT_EQ(QueuedTasks(store()), std::vector<int64_t>{ids[0]});

  // Done without queue_train: not queued.
  ca = ClaimNext(p.id, a.id);
  cb = ClaimNext(p.id, b.id);
  ASSERT_TRUE(ca && cb);
  ASSERT_EQ(ca->task.id, ids[1]);
  Ok(SubmitWith(store(), *ca, "[1]", nullptr));
  Ok(SubmitWith(store(), *cb, "[1]", nullptr));
  ASSERT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kDone);
  EXPECT_EQ(QueuedTasks(store()), std::vector<int64_t>{ids[0]});

  // Sent to review: queued when the reviewer accepts, not before.
  RecordingHooks to_review;
  to_review.state = TaskState::kReviewing;
  ca = ClaimNext(p.id, a.id);
  cb = ClaimNext(p.id, b.id);
  ASSERT_TRUE(ca && cb);
  ASSERT_EQ(ca->task.id, ids[2]);
  Ok(SubmitWith(store(), *ca, "[1]", &to_review.hooks, kT0, kQueue));
  Ok(SubmitWith(store(), *cb, "[1]", &to_review.hooks, kT0, kQueue));
  ASSERT_EQ(Ok(store().GetTask(ids[2])).state, TaskState::kReviewing);
  EXPECT_EQ(QueuedTasks(store()), std::vector<int64_t>{ids[0]});
  auto review = Ok(store().ClaimReviewTask(p.id, rev.id, TaskState::kReviewing, kT0));
  ASSERT_TRUE(review);
  ASSERT_EQ(review->task.id, ids[2]);
  Ok(store().RecordReview({.task_id = ids[2],
                           .reviewer_id = rev.id,
                           .lease_id = review->lease.id,
                           .decision = Store::Decision::kAccept,
                           .queue_train = kQueue},
                          kT0 + 1));
  EXPECT_EQ(QueuedTasks(store()), (std::vector<int64_t>{ids[0], ids[2]}));
}

TEST_P(StoreConformanceTest, AReviewerAcceptsFixesOrRejectsAndRejectedWorkComesBack) {
  Project p = AddProject(/*overlap=*/1);
  User ann = AddUser("ann"), rev = AddUser("rev", Role::kReviewer);
  auto ids = AddTasks(p.id, 3);
  RecordingHooks rec;
  rec.state = TaskState::kReviewing;
  for (int i = 0; i < 3; ++i) {
    auto c = ClaimNext(p.id, ann.id);
    ASSERT_TRUE(c);
    Ok(SubmitWith(store(), *c, "[" + std::to_string(i) + "]", &rec.hooks));
  }
  // The annotator cannot review their own work.
  EXPECT_FALSE(Ok(store().ClaimReviewTask(p.id, ann.id, std::nullopt, kT0)));

  auto r1 = Ok(store().ClaimReviewTask(p.id, rev.id, TaskState::kReviewing, kT0));
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->task.id, ids[0]);
  // Held: claiming again returns the same task.
  auto again = Ok(store().ClaimReviewTask(p.id, rev.id, std::nullopt, kT0 + 1));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->existing_lease);
  EXPECT_EQ(again->lease.id, r1->lease.id);
  Ok(store().RecordReview({.task_id = ids[0],
                           .reviewer_id = rev.id,
                           .lease_id = r1->lease.id,
                           .decision = Store::Decision::kAccept},
                          kT0 + 2));
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
  // A used lease decides nothing more.
  EXPECT_EQ(store()
                .RecordReview({.task_id = ids[0],
                               .reviewer_id = rev.id,
                               .lease_id = r1->lease.id,
                               .decision = Store::Decision::kAccept},
                              kT0 + 3)
                .code(),
            StatusCode::kLeaseExpired);

  auto r2 = Ok(store().ClaimReviewTask(p.id, rev.id, std::nullopt, kT0));
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->task.id, ids[1]);
  // Resolve is for adjudication only, and nothing changes.
  EXPECT_EQ(store()
                .RecordReview({.task_id = ids[1],
                               .reviewer_id = rev.id,
                               .lease_id = r2->lease.id,
                               .decision = Store::Decision::kResolve,
                               .label = GoldenAnswer{"[9]", ""}},
                              kT0)
                .code(),
            StatusCode::kInvalidArgument);
  Ok(store().RecordReview({.task_id = ids[1],
                           .reviewer_id = rev.id,
                           .lease_id = r2->lease.id,
                           .decision = Store::Decision::kFix,
                           .label = GoldenAnswer{"[42]", ""}},
                          kT0 + 4));
  auto fixed = Ok(store().FinalLabels({ids[1]}));
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].result_json, "[42]");
  EXPECT_EQ(fixed[0].method, "review_fix");
  EXPECT_EQ(fixed[0].decided_by, rev.id);
  auto history = Ok(store().ListRevisions(ids[1], rev.id));
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].source, RevisionSource::kReviewFix);

  auto r3 = Ok(store().ClaimReviewTask(p.id, rev.id, std::nullopt, kT0));
  ASSERT_TRUE(r3);
  EXPECT_EQ(store()
                .RecordReview({.task_id = ids[2],
                               .reviewer_id = rev.id,
                               .lease_id = r3->lease.id,
                               .decision = Store::Decision::kReject},
                              kT0)
                .code(),
            StatusCode::kInvalidArgument)
      << "a rejection needs a comment";
  Ok(store().RecordReview({.task_id = ids[2],
                           .reviewer_id = rev.id,
                           .lease_id = r3->lease.id,
                           .decision = Store::Decision::kReject,
                           .comment = "the cat is a dog"},
                          kT0 + 5));
  EXPECT_EQ(Ok(store().GetTask(ids[2])).state, TaskState::kAnnotating);
  auto notes = Ok(store().ListReviews(ids[2]));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].comment, "the cat is a dog");
  EXPECT_EQ(notes[0].reviewer, "rev");

  // Nobody else gets the rejected task; its annotator gets it back as rework.
  User other = AddUser("other");
  EXPECT_FALSE(ClaimNext(p.id, other.id));
  auto rework = ClaimNext(p.id, ann.id, kT0 + 6);
  ASSERT_TRUE(rework);
  EXPECT_EQ(rework->rule, ClaimRule::kRework);
  EXPECT_EQ(rework->task.id, ids[2]);
  EXPECT_EQ(store().SkipTask(ids[2], ann.id, rework->lease.id, kT0 + 6).code(),
            StatusCode::kConflict);
  rec.inputs.clear();
  Ok(SubmitWith(store(), *rework, "[7]", &rec.hooks, kT0 + 7));
  ASSERT_EQ(rec.inputs.size(), 1u);
  EXPECT_TRUE(rec.inputs[0].after_rework);
  EXPECT_EQ(Ok(store().GetTask(ids[2])).state, TaskState::kReviewing);
  EXPECT_FALSE(ClaimNext(p.id, ann.id, kT0 + 8)) << "the rework is done";
}

TEST_P(StoreConformanceTest, AnAdjudicatorResolvesAndTheBatchCompletes) {
  Project p = AddProject(/*overlap=*/2);
  User a = AddUser("a"), b = AddUser("b"), rev = AddUser("rev", Role::kReviewer);
  Batch batch;
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    batch = Ok(writer->AddBatch(
        {.name = "b1", .callback_url = "http://127.0.0.1:9/cb", .callback_secret = "cbsecret"}));
    Ok(writer->Add({.data_json = R"({"n":0})", .batch_id = batch.id}));
    Ok(writer->Add({.data_json = R"({"n":1})", .batch_id = batch.id}));
    EXPECT_EQ(writer->AddBatch({.name = "bad", .workforce_ids = {999}}).status().code(),
              StatusCode::kNotFound);
    EXPECT_EQ(Ok(writer->Commit()), 2);
  }
  Batch got = Ok(store().GetBatch(batch.id));
  EXPECT_EQ(got.total, 2);
  EXPECT_EQ(got.done, 0);
  EXPECT_EQ(got.name, "b1");
  EXPECT_FALSE(got.completed_at_ms);
  EXPECT_EQ(Ok(store().ListBatches(p.id)).size(), 1u);
  auto in_batch = ListIds({.project_id = p.id, .batch_id = batch.id, .limit = 10});
  ASSERT_EQ(in_batch.size(), 2u);

  RecordingHooks rec;
  rec.state = TaskState::kAdjudicating;
  for (const User& u : {a, b}) {
    for (int i = 0; i < 2; ++i) {
      auto c = ClaimNext(p.id, u.id);
      ASSERT_TRUE(c);
      Ok(SubmitWith(store(), *c, "[1]", &rec.hooks));
    }
  }
  for (int i = 0; i < 2; ++i) {
    auto r = Ok(store().ClaimReviewTask(p.id, rev.id, TaskState::kAdjudicating, kT0 + 10));
    ASSERT_TRUE(r);
    Ok(store().RecordReview({.task_id = r->task.id,
                             .reviewer_id = rev.id,
                             .lease_id = r->lease.id,
                             .decision = Store::Decision::kResolve,
                             .label = GoldenAnswer{"[5]", ""}},
                            kT0 + 20 + i));
    EXPECT_EQ(Ok(store().GetTask(r->task.id)).state, TaskState::kDone);
  }
  got = Ok(store().GetBatch(batch.id));
  EXPECT_EQ(got.done, 2);
  ASSERT_TRUE(got.completed_at_ms);
  EXPECT_EQ(*got.completed_at_ms, kT0 + 21);
  auto callbacks = Ok(store().ListDeliveries(std::nullopt, batch.id, 10));
  ASSERT_EQ(callbacks.size(), 1u);
  EXPECT_EQ(callbacks[0].event_type, "batch.completed");
  EXPECT_EQ(callbacks[0].url, "http://127.0.0.1:9/cb");
  auto due = Ok(store().ClaimDueDeliveries(kT0 + 100, 10, 1000));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].secret, "cbsecret");
  EXPECT_NE(due[0].body_json.find("\"batch_id\":" + std::to_string(batch.id)), std::string::npos);
}

TEST_P(StoreConformanceTest, DeliveriesAreRetriedUntilDeliveredOrGivenUp) {
  Project p = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  Store::Webhook hook{.project_id = p.id,
                      .url = "http://127.0.0.1:9/h",
                      .events = {"task.completed", "review.rejected"}};
  Store::Webhook created = Ok(store().CreateWebhook(hook, "k", kT0));
  Store::Webhook other = Ok(store().CreateWebhook(
      {.project_id = p.id, .url = "http://127.0.0.1:9/o", .events = {"batch.completed"}}, "k",
      kT0));
  EXPECT_EQ(Ok(store().GetWebhook(created.id)).events, hook.events);
  AddTasks(p.id, 2);
  for (int i = 0; i < 2; ++i) {
    auto c = ClaimNext(p.id, ann.id);
    ASSERT_TRUE(c);
    Ok(SubmitWith(store(), *c, "[]", nullptr));
  }
  EXPECT_TRUE(Ok(store().ListDeliveries(other.id, std::nullopt, 10)).empty())
      << "a webhook gets only the events it subscribed to";
  auto due = Ok(store().ClaimDueDeliveries(kT0, 10, 5000));
  ASSERT_EQ(due.size(), 2u);
  Ok(store().RecordDeliveryAttempt({.delivery_id = due[0].id,
                                    .at_ms = kT0 + 1,
                                    .status = 500,
                                    .next_attempt_at_ms = kT0 + 1001}));
  Ok(store().RecordDeliveryAttempt(
      {.delivery_id = due[1].id, .at_ms = kT0 + 1, .status = 200, .delivered = true}));
  EXPECT_TRUE(Ok(store().ClaimDueDeliveries(kT0 + 1000, 10, 5000)).empty());
  auto retry = Ok(store().ClaimDueDeliveries(kT0 + 1001, 10, 5000));
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].id, due[0].id);
  EXPECT_EQ(retry[0].attempts, 1);
  Ok(store().RecordDeliveryAttempt(
      {.delivery_id = retry[0].id, .at_ms = kT0 + 1002, .error = "connection refused"}));
  EXPECT_TRUE(Ok(store().ClaimDueDeliveries(kT0 + 1'000'000, 10, 5000)).empty());
  auto log = Ok(store().ListDeliveries(created.id, std::nullopt, 10));
  ASSERT_EQ(log.size(), 2u);
  std::map<int64_t, Store::Delivery> by_id;
  for (auto& d : log) by_id[d.id] = d;
  EXPECT_EQ(by_id[due[0].id].state, Store::DeliveryState::kFailed);
  EXPECT_EQ(by_id[due[0].id].attempts, 2);
  EXPECT_EQ(by_id[due[0].id].last_error, "connection refused");
  EXPECT_EQ(by_id[due[1].id].state, Store::DeliveryState::kDelivered);
  EXPECT_EQ(by_id[due[1].id].last_status, 200);
  EXPECT_EQ(by_id[due[1].id].delivered_at_ms, kT0 + 1);
  EXPECT_EQ(store().RecordDeliveryAttempt({.delivery_id = 99999}).code(), StatusCode::kNotFound);
  Ok(store().DeleteWebhook(created.id));
  EXPECT_EQ(store().DeleteWebhook(created.id).code(), StatusCode::kNotFound);
  EXPECT_TRUE(Ok(store().ListDeliveries(created.id, std::nullopt, 10)).empty());
}

TEST_P(StoreConformanceTest, GoldenTasksAreServedOnceEachAndGraded) {
  Project p = AddProject(/*overlap=*/1);
  User a = AddUser("a"), b = AddUser("b");
  auto ids = AddTasks(p.id, 3);
  Ok(store().SetGoldenAnswer(ids[1], GoldenAnswer{"[\"gold\"]", ""}));
  EXPECT_TRUE(Ok(store().GetTask(ids[1])).golden);
  EXPECT_EQ(Ok(store().GetGoldenAnswer(ids[1]))->result_json, "[\"gold\"]");
  EXPECT_FALSE(Ok(store().GetGoldenAnswer(ids[0])));
  EXPECT_EQ(store().SetGoldenAnswer(99999, std::nullopt).code(), StatusCode::kNotFound);
  RecordingHooks rec;
  // Golden tasks leave the normal queue.
  std::set<int64_t> normal;
  while (auto c = ClaimNext(p.id, a.id)) {
    normal.insert(c->task.id);
    Ok(SubmitWith(store(), *c, "[]", &rec.hooks));
  }
  EXPECT_EQ(normal, (std::set<int64_t>{ids[0], ids[2]}));
  for (const User& u : {a, b}) {
    auto g = Ok(store().ClaimGoldenTask(p.id, u.id, kT0));
    ASSERT_TRUE(g);
    EXPECT_EQ(g->rule, ClaimRule::kGolden);
    EXPECT_EQ(g->task.id, ids[1]);
    // A held lease comes first: no second golden task meanwhile.
    EXPECT_FALSE(Ok(store().ClaimGoldenTask(p.id, u.id, kT0)));
    Ok(SubmitWith(store(), *g, u.id == a.id ? "[\"gold\"]" : "[\"lead\"]", &rec.hooks));
    EXPECT_FALSE(Ok(store().ClaimGoldenTask(p.id, u.id, kT0))) << "each golden task once";
  }
  EXPECT_TRUE(rec.inputs.size() == 2u) << "golden submissions never complete anything";
  auto grades = Ok(store().ListGoldenGrades(p.id));
  ASSERT_EQ(grades.size(), 2u);
  EXPECT_EQ(grades[0].username, "a");
  EXPECT_TRUE(grades[0].correct);
  EXPECT_DOUBLE_EQ(grades[0].score, 1.0);
  EXPECT_EQ(grades[1].username, "b");
  EXPECT_FALSE(grades[1].correct);
  EXPECT_DOUBLE_EQ(grades[1].score, 0.25);
  EXPECT_NE(Ok(store().GetTask(ids[1])).state, TaskState::kDone);
  // Made ordinary, the task is back in the queue for those who have not seen it.
  Ok(store().SetGoldenAnswer(ids[1], std::nullopt));
  User c = AddUser("c");
  auto back = ClaimNext(p.id, c.id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->task.id, ids[1]);
}

TEST_P(StoreConformanceTest, TheQueueOrdersByPriorityThenDeadlineThenImportOrder) {
  Project p = AddProject(/*overlap=*/1);
  User ann = AddUser("ann");
  std::vector<int64_t> ids;
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    Ok(writer->Add({.data_json = R"({"n":0})", .priority = 0}));
    Ok(writer->Add({.data_json = R"({"n":1})", .priority = 0, .deadline_ms = kT0 + 5000}));
    Ok(writer->Add({.data_json = R"({"n":2})", .priority = 0, .deadline_ms = kT0 + 1000}));
    Ok(writer->Add({.data_json = R"({"n":3})", .priority = 5, .deadline_ms = kT0 + 9000}));
    Ok(writer->Add({.data_json = R"({"n":4})", .priority = 5}));
    Ok(writer->Commit());
  }
  ids = ListIds({.project_id = p.id, .limit = 10});
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(Ok(store().GetTask(ids[2])).deadline_ms, kT0 + 1000);
  EXPECT_FALSE(Ok(store().GetTask(ids[0])).deadline_ms);
  EXPECT_EQ(Ok(store().CountTasksDueBefore(p.id, kT0 + 6000)), 2);
  std::vector<int64_t> order;
  while (auto c = ClaimNext(p.id, ann.id)) {
    order.push_back(c->task.id);
    Ok(SubmitWith(store(), *c, "[]", nullptr));
  }
  EXPECT_EQ(order, (std::vector<int64_t>{ids[3], ids[4], ids[2], ids[1], ids[0]}));
  EXPECT_EQ(Ok(store().CountTasksDueBefore(p.id, kT0 + 6000)), 0) << "done tasks are not due";
}

TEST_P(StoreConformanceTest, WorkforcesGiveAccessAndRoutedBatchesGoToTheirMembersOnly) {
  Project p = AddProject(/*overlap=*/1);
  User in = AddUser("in"), out = AddUser("out");
  Workforce team = Ok(store().CreateWorkforce({.name = "team",
                                               .kind = WorkforceKind::kInternal,
                                               .pricing = {PricingModel::kPerHour, 12.5, "EUR"}},
                                              kT0));
  Workforce vendor = Ok(store().CreateWorkforce({.name = "vendor",
                                                 .kind = WorkforceKind::kVendor,
                                                 .pricing = {PricingModel::kPerLabel, 0.04, "USD"}},
                                                kT0));
  EXPECT_EQ(store().CreateWorkforce({.name = "team"}, kT0).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(
      store()
          .CreateWorkforce({.name = "neg", .pricing = {PricingModel::kPerLabel, -1, "USD"}}, kT0)
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  Workforce read = Ok(store().GetWorkforce(team.id));
  EXPECT_EQ(read.pricing.model, PricingModel::kPerHour);
  EXPECT_DOUBLE_EQ(read.pricing.rate, 12.5);
  EXPECT_EQ(read.pricing.currency, "EUR");
  Ok(store().AddWorkforceMember(team.id, in.id));
  Ok(store().AddWorkforceMember(team.id, in.id));  // idempotent
  Ok(store().AddWorkforceMember(vendor.id, out.id));
  EXPECT_EQ(store().AddWorkforceMember(team.id, 99999).code(), StatusCode::kNotFound);
  EXPECT_EQ(Ok(store().ListWorkforceMembers(team.id)).size(), 1u);
  EXPECT_EQ(Ok(store().ListWorkforces(in.id)).size(), 1u);
  EXPECT_EQ(Ok(store().ListWorkforces(std::nullopt)).size(), 2u);

  EXPECT_FALSE(Ok(store().IsMember(p.id, in.id)));
  Ok(store().GrantProjectAccess(p.id, team.id));
  Ok(store().GrantProjectAccess(p.id, vendor.id));
  EXPECT_TRUE(Ok(store().IsMember(p.id, in.id)));
  EXPECT_EQ(Ok(store().ListProjects(in.id)).size(), 1u);
  EXPECT_EQ(Ok(store().ListProjectWorkforces(p.id)).size(), 2u);
  EXPECT_EQ(Ok(store().ListWorkforceProjects(team.id)), std::vector<int64_t>{p.id});

  int64_t routed_id = 0;
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    Batch b = Ok(writer->AddBatch({.name = "for team", .workforce_ids = {team.id}}));
    EXPECT_EQ(b.workforce_ids, std::vector<int64_t>{team.id});
    Ok(writer->Add({.data_json = R"({"n":0})", .priority = 9, .batch_id = b.id}));
    Ok(writer->Commit());
  }
  routed_id = ListIds({.project_id = p.id, .limit = 10}).front();
  AddTasks(p.id, 1);
  auto for_out = ClaimNext(p.id, out.id);
  ASSERT_TRUE(for_out);
  EXPECT_NE(for_out->task.id, routed_id) << "the vendor's member skips the team's batch";
  auto for_in = ClaimNext(p.id, in.id);
  ASSERT_TRUE(for_in);
  EXPECT_EQ(for_in->task.id, routed_id);

  Ok(store().RevokeProjectAccess(p.id, vendor.id));
  EXPECT_FALSE(Ok(store().IsMember(p.id, out.id)));
  Ok(store().RemoveWorkforceMember(team.id, in.id));
  EXPECT_FALSE(Ok(store().IsMember(p.id, in.id)));
  Workforce renamed = team;
  renamed.name = "crew";
  renamed.pricing.rate = 14;
  EXPECT_EQ(Ok(store().UpdateWorkforce(renamed)).name, "crew");
  EXPECT_DOUBLE_EQ(Ok(store().GetWorkforce(team.id)).pricing.rate, 14);
  renamed.name = "vendor";
  EXPECT_EQ(store().UpdateWorkforce(renamed).status().code(), StatusCode::kAlreadyExists);
}

TEST_P(StoreConformanceTest, ConcurrentAnnotatorsCompleteEachTaskOnce) {
  constexpr int kTasks = 60, kPeople = 8, kOverlap = 3;
  Project p = AddProject(kOverlap, /*lease_seconds=*/600);
  std::vector<User> people;
  for (int i = 0; i < kPeople; ++i) people.push_back(AddUser("u" + std::to_string(i)));
  Ok(store().CreateWebhook(
      {.project_id = p.id, .url = "http://127.0.0.1:9/h", .events = {"task.completed"}}, "k", kT0));
  AddTasks(p.id, kTasks);
  std::atomic<int> completions{0};
  RevisionHooks hooks;
  hooks.complete = [&](const CompletionInput& input) -> Result<Completion> {
    ++completions;
    EXPECT_EQ(input.current.size(), static_cast<size_t>(kOverlap));
    return DefaultCompletion(input);
  };
  std::vector<std::thread> threads;
  for (const User& u : people) {
    threads.emplace_back([&, u] {
      while (true) {
        auto claim = store().ClaimNextTask(p.id, u.id, kT0);
        if (!claim.ok() || !claim->has_value()) break;
        if (!SubmitWith(store(), **claim, "[]", &hooks).ok()) break;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(completions.load(), kTasks);
  ExpectEachTaskDoneByDistinctPeople(store(), p.id, kOverlap, kTasks);
  std::vector<int64_t> all = ListIds({.project_id = p.id, .limit = 1000});
  EXPECT_EQ(Ok(store().FinalLabels(all)).size(), static_cast<size_t>(kTasks));
  EXPECT_EQ(Ok(store().ClaimDueDeliveries(kT0, 1000, 1000)).size(), static_cast<size_t>(kTasks))
      << "one task.completed delivery per task";
}

}  // namespace plumb::store
