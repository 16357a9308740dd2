#include "store/store_conformance_test.h"

#include "store/backend_common.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <tuple>

namespace plumb::store {

// The suite is instantiated by each backend's own test file.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StoreConformanceTest);

void StoreConformanceTest::SetUp() {
  location_ = GetParam().create();
  auto store = GetParam().open(location_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
}

void StoreConformanceTest::TearDown() {
  store_.reset();
  GetParam().destroy(location_);
  for (const std::string& location : more_locations_) GetParam().destroy(location);
}

std::unique_ptr<Store> StoreConformanceTest::OpenNewDatabase() {
  more_locations_.push_back(GetParam().create());
  return Ok(GetParam().open(more_locations_.back()));
}

void StoreConformanceTest::Reopen() {
  store_.reset();
  auto store = GetParam().open(location_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(store).value();
}

User StoreConformanceTest::AddUser(const std::string& name, Role role) {
  return Ok(store().CreateUser(name, "hash-of-" + name, role, kT0));
}

Project StoreConformanceTest::AddProject(int32_t overlap, int32_t lease_seconds) {
  auto owner = store().FindUserByName("owner");
  int64_t owner_id = owner.ok() ? owner->user.id : AddUser("owner", Role::kManager).id;
  NewProject project;
  project.name = "pets";
  project.schema_json = R"({"controls":[]})";
  project.settings = {overlap, lease_seconds};
  project.created_by = owner_id;
  return Ok(store().CreateProject(project, kT0));
}

std::vector<int64_t> StoreConformanceTest::AddTasks(int64_t project_id,
                                                    const std::vector<int32_t>& priorities) {
  auto before = Ok(store().ListTasks({.project_id = project_id, .limit = 1000}));
  int64_t after_id = before.items.empty() ? 0 : before.items.back().id;
  while (before.next_after_id) {
    before = Ok(store().ListTasks(
        {.project_id = project_id, .limit = 1000, .after_id = *before.next_after_id}));
    if (!before.items.empty()) after_id = before.items.back().id;
  }
  auto writer = Ok(store().BeginImport(project_id, kT0));
  if (writer == nullptr) return {};
  for (size_t i = 0; i < priorities.size(); ++i) {
    Ok(writer->Add({.data_json = "{\"n\":" + std::to_string(i) + "}", .priority = priorities[i]}));
  }
  EXPECT_EQ(Ok(writer->Commit()), static_cast<int64_t>(priorities.size()));
  writer.reset();
  return ListIds({.project_id = project_id, .limit = 1000, .after_id = after_id});
}

std::optional<Claim> StoreConformanceTest::ClaimNext(int64_t project_id, int64_t user_id,
                                                     int64_t now_ms) {
  return Ok(store().ClaimNextTask(project_id, user_id, now_ms));
}

Result<Revision> StoreConformanceTest::Submit(const Claim& claim, const std::string& result_json,
                                              int64_t now_ms, const std::string& idempotency_key) {
  NewRevision rev;
  rev.task_id = claim.task.id;
  rev.user_id = claim.lease.user_id;
  rev.lease_id = claim.lease.id;
  rev.idempotency_key = idempotency_key;
  rev.result_json = result_json;
  rev.lead_time_ms = 1500;
  return store().AppendRevision(rev, now_ms);
}

std::vector<int64_t> StoreConformanceTest::AnnotateAll(int64_t project_id, int64_t user_id) {
  std::vector<int64_t> ids;
  while (auto claim = ClaimNext(project_id, user_id)) {
    if (!Submit(*claim).ok()) {
      ADD_FAILURE() << "submit failed on task " << claim->task.id;
      break;
    }
    ids.push_back(claim->task.id);
  }
  return ids;
}

std::vector<int64_t> StoreConformanceTest::ListIds(TaskQuery query) {
  std::vector<int64_t> ids;
  while (true) {
    auto page = store().ListTasks(query);
    if (!page.ok()) {
      ADD_FAILURE() << page.status().ToString();
      return ids;
    }
    for (const Task& t : page->items) ids.push_back(t.id);
    if (!page->next_after_id) return ids;
    query.after_id = *page->next_after_id;
  }
}

std::vector<DumpedRow> DumpAll(Store& store) {
  std::vector<DumpedRow> rows;
  Ok(store.DumpTables([&](std::string_view table, const std::vector<std::string>& columns,
                          const std::vector<std::optional<std::string>>& values) {
    rows.push_back({std::string(table), columns, values});
    return Status::Ok();
  }));
  return rows;
}

Status LoadAll(const std::vector<DumpedRow>& rows, Store& into) {
  PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<DatabaseLoader> loader, into.BeginLoad());
  for (const DumpedRow& row : rows) {
    PLUMB_RETURN_IF_ERROR(loader->Add(row.table, row.columns, row.values));
  }
  return loader->Commit();
}

void ExpectEachTaskDoneByDistinctPeople(Store& store, int64_t project_id, int32_t overlap,
                                        int tasks) {
  int seen = 0;
  Ok(store.ForEachTaskWithAnnotations(
      project_id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        ++seen;
        EXPECT_EQ(task.state, TaskState::kDone) << task.id;
        std::set<int64_t> people;
        for (const Revision& r : revisions) people.insert(r.user_id);
        EXPECT_EQ(revisions.size(), static_cast<size_t>(overlap)) << task.id;
        EXPECT_EQ(people.size(), static_cast<size_t>(overlap)) << task.id;
        return Status::Ok();
      }));
  EXPECT_EQ(seen, tasks);
}

void Populate(Store& store, int64_t t0) {
  User owner = Ok(store.CreateUser("owner", "hash-owner", Role::kManager, t0));
  User alice = Ok(store.CreateUser("alice", "hash-alice", Role::kAdmin, t0 + 1));
  User bob = Ok(store.CreateUser("bob", "hash-bob", Role::kAnnotator, t0 + 2));
  User carol = Ok(store.CreateUser("carol", "hash-carol", Role::kReviewer, t0 + 3));
  Ok(store.CreateSession("session-alice", alice.id, t0 + 3'600'000));
  Ok(store.CreateApiToken("token-bob", bob.id, "ci", t0));
  Ok(store.CreateApiToken("token-owner", owner.id, "", t0 + 4));

  auto project = [&](const std::string& name, int32_t overlap) {
    return Ok(store.CreateProject(
        {.name = name,
         .schema_json = R"({"controls":[{"name":"pet","type":"choice","labels":["cat","dog"]}]})",
         .settings = {overlap, 60},
         .created_by = owner.id},
        t0));
  };
  Ok(store.DeleteProject(project("gone", 1).id));
  Project p = project("pets", 2);
  Project q = project("cars", 1);
  for (const User& u : {alice, bob, carol}) Ok(store.AddMember(p.id, u.id));
  Ok(store.AddMember(q.id, bob.id));

  // Task data with what a dump must carry through: non-ASCII text, escapes
  // (tab, newline, backslash, quote) and blanks between tokens.
  auto import = [&](int64_t project_id, const std::vector<int32_t>& priorities) {
    auto writer = Ok(store.BeginImport(project_id, t0 + 5));
    if (writer == nullptr) return;
    for (size_t i = 0; i < priorities.size(); ++i) {
      const std::string n = std::to_string(i);
      Ok(writer->Add({.data_json = R"({"text":"caf\u00e9 ☕ 🙂 a\tb\\c\nd \"q\" )" + n +
                                   R"(","n":)" + n + ",\n\t\"meta\": {\"b\": 1, \"a\": [1, 2.5]}}",
                      .priority = priorities[i]}));
    }
    Ok(writer->Commit());
  };
  import(p.id, {0, 5, 1, 5, 0, 3});
  import(q.id, {2, 2, 1});

  auto claim = [&](int64_t project_id, const User& u, int64_t now_ms) {
    auto claim = Ok(store.ClaimNextTask(project_id, u.id, now_ms));
    if (!claim) ADD_FAILURE() << u.username << " got no task";
    return claim.value_or(Claim{});
  };
  auto submit = [&](const Claim& c, const std::string& label, const std::string& key) {
    Ok(store.AppendRevision(
        {.task_id = c.task.id,
         .user_id = c.lease.user_id,
         .lease_id = c.lease.id,
         .idempotency_key = key,
         .result_json = R"([{"control":"pet","type":"choice","values":[")" + label + R"("]}])",
         .lead_time_ms = 1200},
        t0 + 20));
  };
  // p (overlap 2): alice annotates two tasks (one with an idempotency key)
  // and edits one; bob annotates one and skips one; owner's lease expires
  // and is released by alice's next claim; carol holds a lease.
  submit(claim(p.id, alice, t0 + 10), "cat", "key-1");
  Claim a2 = claim(p.id, alice, t0 + 10);
  submit(a2, "dog", "");
  Ok(store.AppendRevision({.task_id = a2.task.id,
                           .user_id = alice.id,
                           .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])",
                           .media_json = R"({"width":640,"height":480})",
                           .lead_time_ms = 300,
                           .source = RevisionSource::kReviewFix},
                          t0 + 30));
  submit(claim(p.id, bob, t0 + 10), "cat", "key-1");
  Claim b2 = claim(p.id, bob, t0 + 10);
  Ok(store.SkipTask(b2.task.id, bob.id, b2.lease.id, t0 + 40));
  claim(p.id, owner, t0 + 10);
  claim(p.id, carol, t0 + 50);
  claim(p.id, alice, t0 + 70'000);
  // q (overlap 1): bob annotates one task and holds a lease on another.
  submit(claim(q.id, bob, t0 + 10), "car", "");
  claim(q.id, bob, t0 + 10);
  // q: an imported task with owner's annotation and two predictions, one
  // without a score.
  auto writer = Ok(store.BeginImport(q.id, t0 + 80));
  if (writer == nullptr) return;
  Ok(writer->Add(
      {.data_json = R"({"text":"imported"})",
       .annotation =
           NewImportedAnnotation{
               .user_id = owner.id,
               .result_json = R"([{"control":"pet","type":"choice","values":["dog"]}])",
               .media_json = R"({"width":10,"height":20})"},
       .predictions = {{.model_name = "resnet",
                        .model_version = "v2",
                        .score = 0.875,
                        .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])",
                        .media_json = R"({"width":10,"height":20})"},
                       {.model_name = "rules", .result_json = "[]"}}}));
  Ok(writer->Commit());
  writer.reset();
  // The disagreement of its first prediction (docs/analytics.md); the
  // submits above have filled stat_counters.
  {
    std::vector<int64_t> q_ids;
    for (const Task& t : Ok(store.ListTasks({.project_id = q.id, .limit = 1000})).items) {
      q_ids.push_back(t.id);
    }
    const std::vector<Prediction> predictions = Ok(store.ListPredictions(q_ids));
    if (predictions.empty()) {
      ADD_FAILURE() << "no prediction";
      return;
    }
    Ok(store.SetDisagreements({{.prediction_id = predictions[0].id,
                                .score = 0.125,
                                .controls_json = R"([{"control":"pet","score":0.125}])",
                                .labels_json = R"(["dog", "say \"hi\""])",
                                .computed_at_ms = t0 + 85}}));
  }

  // r (overlap 1), the workflow engine's tables: carol labels it through a
  // workforce; a routed batch with a deadline; a golden task she is graded
  // on; a review that rejects her work; a webhook with a delivery attempt.
  Project r = project("flow", 1);
  Workforce team = Ok(store.CreateWorkforce(
      {.name = "team", .kind = WorkforceKind::kVendor,
       .pricing = {PricingModel::kPerHour, 11.5, "EUR"}},
      t0 + 90));
  Ok(store.AddWorkforceMember(team.id, carol.id));
  Ok(store.GrantProjectAccess(r.id, team.id));
  Ok(store.CreateWebhook({.project_id = r.id,
                          .url = "http://127.0.0.1:9/hook",
                          .events = {"task.completed", "review.rejected"}},
                         "hook-secret", t0 + 91));
  writer = Ok(store.BeginImport(r.id, t0 + 92));
  if (writer == nullptr) return;
  Batch batch = Ok(writer->AddBatch({.name = "urgent",
                                     .callback_url = "http://127.0.0.1:9/cb",
                                     .callback_secret = "cb-secret",
                                     .deadline_ms = t0 + 999'000,
                                     .workforce_ids = {team.id}}));
  for (int i = 0; i < 2; ++i) {
    Ok(writer->Add({.data_json = "{\"n\":" + std::to_string(i) + "}",
                    .priority = 1,
                    .deadline_ms = t0 + 999'000,
                    .batch_id = batch.id}));
  }
  Ok(writer->Add({.data_json = R"({"n":"gold"})",
                  .golden = GoldenAnswer{R"([{"control":"pet","type":"choice","values":["dog"]}])",
                                         ""}}));
  Ok(writer->Commit());
  writer.reset();
  RevisionHooks hooks;
  hooks.complete = [](const CompletionInput& input) -> Result<Completion> {
    Completion c = DefaultCompletion(input);
    c.state = TaskState::kReviewing;
    return c;
  };
  hooks.grade = [](const GoldenAnswer&, const Revision& rev) -> Result<GoldenGrade> {
    return GoldenGrade{.revision_id = rev.id, .score = 0.5, .correct = false};
  };
  auto submit_with_hooks = [&](const Claim& c) {
    Ok(store.AppendRevision(
        {.task_id = c.task.id,
         .user_id = c.lease.user_id,
         .lease_id = c.lease.id,
         .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])",
         .hooks = &hooks},
        t0 + 100));
  };
  submit_with_hooks(claim(r.id, carol, t0 + 95));
  auto golden = Ok(store.ClaimGoldenTask(r.id, carol.id, t0 + 96));
  if (!golden) {
    ADD_FAILURE() << "no golden task";
    return;
  }
  submit_with_hooks(*golden);
  auto review = Ok(store.ClaimReviewTask(r.id, alice.id, std::nullopt, t0 + 110));
  if (!review) {
    ADD_FAILURE() << "nothing to review";
    return;
  }
  Ok(store.RecordReview({.task_id = review->task.id,
                         .reviewer_id = alice.id,
                         .lease_id = review->lease.id,
                         .decision = Store::Decision::kReject,
                         .comment = "look again"},
                        t0 + 120));
  auto due = Ok(store.ClaimDueDeliveries(t0 + 130, 10, 1000));
  if (!due.empty()) {
    Ok(store.RecordDeliveryAttempt({.delivery_id = due[0].id,
                                    .at_ms = t0 + 131,
                                    .status = 503,
                                    .error = "",
                                    .next_attempt_at_ms = t0 + 2131}));
  }

  // Instructions (docs/instructions.md): two versions of r with examples,
  // an image whose bytes are not text, carol's ack, and her rework revision
  // made under version 2.
  Ok(store.SaveInstructions({.project_id = r.id,
                             .author_id = owner.id,
                             .body = "# Pets\n\ncaf\u00e9 \"q\" a\tb\\c",
                             .examples_json = "[]",
                             .note = "first"},
                            t0 + 140));
  Ok(store.SaveInstructions(
      {.project_id = r.id,
       .author_id = owner.id,
       .body = "# Pets v2",
       .examples_json = R"([{"kind": "example", "title": "cat", "text": "", "image": null})",
       .note = ""},
      t0 + 141));
  Ok(store.PutInstructionImage({.hash = std::string(64, 'a'),
                                .content_type = "image/png",
                                .data = std::string("\x89PNG\r\n\x1a\n\0\xff\\", 11)}));
  Ok(store.Acknowledge(r.id, carol.id, 2, t0 + 142));
  Ok(store.AppendRevision({.task_id = review->task.id,
                           .user_id = carol.id,
                           .result_json = R"([{"control":"pet","type":"choice","values":["dog"]}])",
                           .hooks = &hooks},
                          t0 + 143));
  // A dataset version of every project (one of them with final labels), and
  // audit entries with and without a project.
  for (const Project& each : Ok(store.ListProjects(std::nullopt))) {
    Ok(store.CreateDatasetVersion(each.id, "v1.0", "first \"cut\"", owner.id, t0 + 140));
  }
  Ok(store.AppendAudit({.at_ms = t0 + 141, .user_id = alice.id, .action = "user.create",
                        .target = "bob", .details_json = R"({"role":"annotator"})"}));
  Ok(store.AppendAudit({.at_ms = t0 + 142, .user_id = owner.id, .action = "version.create",
                        .project_id = r.id, .target = "v1.0", .details_json = R"({"tasks":1})"}));

  // Automation (docs/automation.md): a backend of q with a recorded error, a
  // job part way through, owner's label started from an edited pre-label,
  // and a learner model whose bytes are not text.
  MlBackend backend = Ok(store.CreateMlBackend({.project_id = q.id,
                                                .name = "ner \"x\"",
                                                .url = "http://127.0.0.1:9/model",
                                                .protocol = "label_studio",
                                                .auth_header = "Token abc",
                                                .on_import = true,
                                                .train = true},
                                               t0 + 150));
  Ok(store.RecordMlBackendHealth(backend.id, "error", "timed out after 10 ms", "v3", t0 + 151));
  PredictionJob job = Ok(store.CreatePredictionJob({.project_id = q.id,
                                                    .backend_id = backend.id,
                                                    .trigger = "manual",
                                                    .filter_json = R"({"state":"new"})",
                                                    .total = 4,
                                                    .created_by = owner.id},
                                                   t0 + 152));
  Ok(store.UpdatePredictionJob(job.id,
                               {.cursor = 7, .processed = 2, .predicted = 1, .failed = 1,
                                .last_error = "task 7: bad JSON", .held_until_ms = t0 + 9000},
                               t0 + 153));
  Claim owned = claim(q.id, owner, t0 + 154);
  Ok(store.AppendRevision({.task_id = owned.task.id,
                           .user_id = owner.id,
                           .lease_id = owned.lease.id,
                           .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])",
                           .lead_time_ms = 800,
                           .track_prelabel = true,
                           .prelabel = PrelabelUse{.prediction_id = 1,
                                                   .model_name = "resnet",
                                                   .model_version = "v2",
                                                   .outcome = PrelabelOutcome::kEdited}},
                          t0 + 155));
  Ok(store.PutLearnerModel({.project_id = q.id,
                            .control = "pet",
                            .model = std::string("\0\x01model\xff", 8),
                            .updates = 3,
                            .updated_at_ms = t0 + 156}));
  Ok(store.PutSpanPrelabeler({q.id, "pet", R"({"labels":{"cat":{"terms":["tabby"]}}})",
                              "0a1b2c3d4e5f", owner.id, t0 + 157}));
  Ok(store.QueueTrain(q.id, owned.task.id, t0 + 158));

  // A golden set of r's golden task and a bake-off of the team (bob joins
  // it and labels the task) and a vendor that returned a file.
  GoldenSet set = Ok(store.CreateGoldenSet(r.id, "gold \"set\"", "", {}, owner.id, t0 + 150));
  Bakeoff bakeoff{.project_id = r.id,
                  .name = "vs",
                  .golden_set_id = set.id,
                  .instructions_version = 2,
                  .created_by = owner.id};
  bakeoff.candidates = {{.name = "team",
                         .kind = CandidateKind::kWorkforce,
                         .workforce_id = team.id,
                         .pricing_model = CandidatePricing::kPerHour,
                         .rate = 11.5,
                         .currency = "EUR"},
                        {.name = "acme",
                         .kind = CandidateKind::kVendor,
                         .format = "csv",
                         .pricing_model = CandidatePricing::kQuote,
                         .rate = 99.25}};
  bakeoff = Ok(store.CreateBakeoff(bakeoff, t0 + 151));
  Ok(store.AddWorkforceMember(team.id, bob.id));
  auto bake = Ok(store.ClaimBakeoffTask(r.id, bob.id, t0 + 152));
  if (!bake || bakeoff.candidates.size() != 2) {
    ADD_FAILURE() << "no bake-off task";
    return;
  }
  Ok(store.AppendRevision({.task_id = bake->task.id,
                           .user_id = bob.id,
                           .lease_id = bake->lease.id,
                           .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])",
                           .lead_time_ms = 2500},
                          t0 + 153));
  Ok(store.ReplaceVendorLabels(
      bakeoff.candidates[1].id,
      {{.task_id = bake->task.id,
        .user_id = owner.id,
        .result_json = R"([{"control":"pet","type":"choice","values":["dog"]}])"}},
      t0 + 154));

  // Training (docs/training.md): r's golden task as practice with an
  // explanation, bob's practice answer, and his finished test over the set
  // with a pause after it.
  Ok(store.SetPracticeItems(
      r.id,
      {{.task_id = bake->task.id, .explanation = "dogs \"bark\" caf\u00e9", .anchor = "dogs"}}));
  Ok(store.RecordPracticeAnswer(
      {.project_id = r.id,
       .user_id = bob.id,
       .task_id = bake->task.id,
       .result_json = R"([{"control":"pet","type":"choice","values":["cat"]}])",
       .lead_time_ms = 900,
       .score = 0,
       .created_at_ms = t0 + 160}));
  QualificationAttempt attempt = Ok(store.StartQualification({.project_id = r.id,
                                                              .user_id = bob.id,
                                                              .golden_set_id = set.id,
                                                              .instructions_version = 2,
                                                              .pass_mark = 0.75,
                                                              .tasks = 1,
                                                              .started_at_ms = t0 + 161}));
  Ok(store.RecordQualificationAnswer(
      {.task_id = bake->task.id,
       .attempt_id = attempt.id,
       .result_json = R"([{"control":"pet","type":"choice","values":["dog"]}])",
       .media_json = R"({"width":3,"height":4})",
       .score = 1,
       .correct = true,
       .created_at_ms = t0 + 162}));
}

namespace {

std::vector<int64_t> UserIds(const std::vector<User>& users) {
  std::vector<int64_t> ids;
  for (const User& u : users) ids.push_back(u.id);
  return ids;
}

std::vector<int64_t> ProjectIds(const std::vector<Project>& projects) {
  std::vector<int64_t> ids;
  for (const Project& p : projects) ids.push_back(p.id);
  return ids;
}

// --- users, sessions, tokens ------------------------------------------------------------

TEST_P(StoreConformanceTest, CreatesAndFindsUsers) {
  User alice = AddUser("alice", Role::kAdmin);
  User bob = AddUser("bob");
  EXPECT_GT(alice.id, 0);
  EXPECT_EQ(alice.role, Role::kAdmin);
  EXPECT_EQ(alice.created_at_ms, kT0);

  User got = Ok(store().GetUser(bob.id));
  EXPECT_EQ(got.username, "bob");
  EXPECT_EQ(got.role, Role::kAnnotator);

  UserWithHash found = Ok(store().FindUserByName("alice"));
  EXPECT_EQ(found.user.id, alice.id);
  EXPECT_EQ(found.password_hash, "hash-of-alice");

  EXPECT_EQ(UserIds(Ok(store().ListUsers())), (std::vector<int64_t>{alice.id, bob.id}));
  EXPECT_EQ(Ok(store().CountUsers()), 2);
}

TEST_P(StoreConformanceTest, DuplicateUsernameIsAlreadyExists) {
  AddUser("alice");
  auto again = store().CreateUser("alice", "other", Role::kManager, kT0);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(again.status().field(), "username");
  EXPECT_EQ(Ok(store().CountUsers()), 1);
}

TEST_P(StoreConformanceTest, UnknownUsersAreNotFound) {
  EXPECT_EQ(store().GetUser(42).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().FindUserByName("nobody").status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, SessionsLastUntilTheyExpire) {
  User alice = AddUser("alice");
  const int64_t expires = kT0 + 60'000;
  Ok(store().CreateSession("s1", alice.id, expires));
  struct Case {
    int64_t now_ms;
    bool valid;
  };
  const Case cases[] = {{kT0, true}, {expires - 1, true}, {expires, false}, {expires + 1, false}};
  for (const Case& c : cases) {
    auto user = store().UserForSession("s1", c.now_ms);
    EXPECT_EQ(user.ok(), c.valid) << "now_ms=" << c.now_ms;
    if (user.ok()) {
      EXPECT_EQ(user->id, alice.id);
    } else {
      EXPECT_EQ(user.status().code(), StatusCode::kUnauthenticated);
    }
  }
  EXPECT_EQ(store().UserForSession("unknown", kT0).status().code(), StatusCode::kUnauthenticated);
  Ok(store().DeleteSession("s1"));
  EXPECT_EQ(store().UserForSession("s1", kT0).status().code(), StatusCode::kUnauthenticated);
  Ok(store().DeleteSession("s1"));  // unknown: still OK
}

TEST_P(StoreConformanceTest, ApiTokensNameTheirUser) {
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  int64_t t1 = Ok(store().CreateApiToken("h1", alice.id, "ci", kT0));
  int64_t t2 = Ok(store().CreateApiToken("h2", bob.id, "", kT0));
  EXPECT_NE(t1, t2);
  EXPECT_EQ(Ok(store().UserForApiToken("h1")).id, alice.id);
  EXPECT_EQ(Ok(store().UserForApiToken("h2")).username, "bob");
  EXPECT_EQ(store().UserForApiToken("h3").status().code(), StatusCode::kUnauthenticated);
}

// --- projects -------------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ProjectsCanBeCreatedReadUpdatedAndListed) {
  Project p = AddProject(2, 120);
  EXPECT_GT(p.id, 0);
  Project got = Ok(store().GetProject(p.id));
  EXPECT_EQ(got.name, "pets");
  EXPECT_EQ(got.schema_json, R"({"controls":[]})");
  EXPECT_EQ(got.settings.overlap, 2);
  EXPECT_EQ(got.settings.lease_seconds, 120);
  EXPECT_EQ(got.created_at_ms, kT0);

  ProjectUpdate update;
  update.name = "cats";
  Project updated = Ok(store().UpdateProject(p.id, update));
  EXPECT_EQ(updated.name, "cats");
  EXPECT_EQ(updated.settings.overlap, 2);
  EXPECT_EQ(Ok(store().GetProject(p.id)).name, "cats");

  Project q = AddProject();
  EXPECT_EQ(ProjectIds(Ok(store().ListProjects(std::nullopt))), (std::vector<int64_t>{p.id, q.id}));
  EXPECT_EQ(store().GetProject(q.id + 100).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().UpdateProject(q.id + 100, update).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, MembersSeeTheirProjects) {
  Project p = AddProject();
  Project q = AddProject();
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  Ok(store().AddMember(q.id, alice.id));
  Ok(store().AddMember(q.id, alice.id));  // idempotent
  Ok(store().AddMember(q.id, bob.id));
  Ok(store().AddMember(p.id, bob.id));

  EXPECT_TRUE(Ok(store().IsMember(q.id, alice.id)));
  EXPECT_FALSE(Ok(store().IsMember(p.id, alice.id)));
  EXPECT_EQ(UserIds(Ok(store().ListMembers(q.id))), (std::vector<int64_t>{alice.id, bob.id}));
  EXPECT_EQ(ProjectIds(Ok(store().ListProjects(alice.id))), (std::vector<int64_t>{q.id}));
  EXPECT_EQ(ProjectIds(Ok(store().ListProjects(bob.id))), (std::vector<int64_t>{p.id, q.id}));

  EXPECT_EQ(store().AddMember(q.id + 100, alice.id).code(), StatusCode::kNotFound);
  EXPECT_EQ(store().AddMember(q.id, bob.id + 100).code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, DeleteProjectRemovesEverythingOfIt) {
  Project p = AddProject();
  Project keep = AddProject();
  User alice = AddUser("alice");
  Ok(store().AddMember(p.id, alice.id));
  std::vector<int64_t> ids = AddTasks(p.id, 3);
  AddTasks(keep.id, 2);
  auto claim = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(claim);
  Ok(Submit(*claim));
  ASSERT_TRUE(ClaimNext(p.id, alice.id));  // a live lease as well

  Ok(store().DeleteProject(p.id));
  EXPECT_EQ(store().GetProject(p.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().DeleteProject(p.id).code(), StatusCode::kNotFound);
  for (int64_t id : ids) EXPECT_EQ(store().GetTask(id).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Ok(store().ListRevisions(ids[0], std::nullopt)).empty());
  EXPECT_TRUE(Ok(store().ListProjects(alice.id)).empty());
  EXPECT_EQ(Ok(store().CountTasks(p.id)).total, 0);
  EXPECT_EQ(ProjectIds(Ok(store().ListProjects(std::nullopt))), (std::vector<int64_t>{keep.id}));
  auto by_state = Ok(store().CountTasksByState());
  ASSERT_EQ(by_state.size(), 1u);
  EXPECT_EQ(by_state[0].project_id, keep.id);
  EXPECT_EQ(by_state[0].count, 2);
  // A new project never reuses a deleted one's id.
  Ok(store().DeleteProject(keep.id));
  EXPECT_GT(AddProject().id, keep.id);
}

// --- import and listing ---------------------------------------------------------------

TEST_P(StoreConformanceTest, ImportIsInvisibleUntilCommitted) {
  Project p = AddProject();
  auto writer = Ok(store().BeginImport(p.id, kT0 + 5));
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 10; ++i) Ok(writer->Add({.data_json = R"({"a":"b"})", .priority = i}));
  EXPECT_EQ(Ok(store().CountTasks(p.id)).total, 0);  // readers do not wait for the writer
  EXPECT_EQ(Ok(writer->Commit()), 10);
  writer.reset();

  TaskCounts counts = Ok(store().CountTasks(p.id));
  EXPECT_EQ(counts.total, 10);
  EXPECT_EQ(counts.new_tasks, 10);
  TaskPage page = Ok(store().ListTasks({.project_id = p.id, .limit = 1}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].data_json, R"({"a":"b"})");
  EXPECT_EQ(page.items[0].state, TaskState::kNew);
  EXPECT_EQ(page.items[0].priority, 0);
  EXPECT_EQ(page.items[0].created_at_ms, kT0 + 5);
  EXPECT_EQ(Ok(store().GetTask(page.items[0].id)).project_id, p.id);
}

TEST_P(StoreConformanceTest, ImportWithoutCommitLeavesNothing) {
  Project p = AddProject();
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    for (int i = 0; i < 100; ++i) Ok(writer->Add({.data_json = "{}"}));
  }
  EXPECT_EQ(Ok(store().CountTasks(p.id)).total, 0);
  // The write lock is free again.
  EXPECT_EQ(AddTasks(p.id, 2).size(), 2u);
}

TEST_P(StoreConformanceTest, ImportedAnnotationsCountTowardOverlap) {
  User importer = AddUser("importer", Role::kManager);
  User alice = AddUser("alice");
  for (int32_t overlap : {1, 2}) {
    SCOPED_TRACE("overlap " + std::to_string(overlap));
    Project p = AddProject(overlap);
    auto writer = Ok(store().BeginImport(p.id, kT0 + 5));
    ASSERT_NE(writer, nullptr);
    // One key per object: PostgreSQL's jsonb reorders keys.
    const std::string result = R"([{"values":["cat"]}])";
    Ok(writer->Add({.data_json = R"({"n":0})",
                    .annotation = NewImportedAnnotation{.user_id = importer.id,
                                                        .result_json = result,
                                                        .media_json = R"({"width":4})",
                                                        .lead_time_ms = 7}}));
    Ok(writer->Add({.data_json = R"({"n":1})"}));
    EXPECT_EQ(Ok(writer->Commit()), 2);
    writer.reset();

    std::vector<int64_t> ids = ListIds({.project_id = p.id});
    ASSERT_EQ(ids.size(), 2u);
    Task labeled = Ok(store().GetTask(ids[0]));
    EXPECT_EQ(labeled.state, overlap == 1 ? TaskState::kDone : TaskState::kAnnotating);
    EXPECT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kNew);
    std::vector<Revision> revisions = Ok(store().ListRevisions(ids[0], std::nullopt));
    ASSERT_EQ(revisions.size(), 1u);
    EXPECT_EQ(revisions[0].user_id, importer.id);
    EXPECT_EQ(revisions[0].username, "importer");
    EXPECT_EQ(revisions[0].revision, 1);
    EXPECT_EQ(revisions[0].source, RevisionSource::kImport);
    EXPECT_EQ(revisions[0].result_json, result);
    EXPECT_EQ(revisions[0].media_json, R"({"width":4})");
    EXPECT_EQ(revisions[0].lead_time_ms, 7);
    EXPECT_EQ(revisions[0].created_at_ms, kT0 + 5);
    EXPECT_FALSE(revisions[0].parent_id.has_value());
    EXPECT_EQ(Ok(store().CurrentRevisions(ids)).size(), 1u);

    // The importer is never handed the task they brought a label for; with
    // overlap 2 another person still is, and that finishes it.
    std::optional<Claim> own = ClaimNext(p.id, importer.id);
    ASSERT_TRUE(own);
    EXPECT_EQ(own->task.id, ids[1]);
    std::optional<Claim> other = ClaimNext(p.id, alice.id);
    EXPECT_EQ(other.has_value(), overlap == 2);
    if (other) {
      EXPECT_EQ(other->task.id, ids[0]);
      Ok(Submit(*other));
      EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
    }
    EXPECT_EQ(Ok(store().GetProgress(p.id, importer.id)).mine, 1);
  }
}

TEST_P(StoreConformanceTest, PredictionsComeBackByTaskInImportOrder) {
  Project p = AddProject();
  auto writer = Ok(store().BeginImport(p.id, kT0 + 9));
  ASSERT_NE(writer, nullptr);
  Ok(writer->Add({.data_json = R"({"n":0})",
                  .predictions = {{.model_name = "m",
                                   .model_version = "1",
                                   .score = 0.25,
                                   .result_json = R"([{"values":["cat"]}])",
                                   .media_json = R"({"width":5})"},
                                  {.model_name = "é", .result_json = "[]"}}}));
  Ok(writer->Add({.data_json = R"({"n":1})"}));
  Ok(writer->Add({.data_json = R"({"n":2})",
                  .predictions = {{.model_name = "m", .score = -1e-300, .result_json = "[]"}}}));
  Ok(writer->Commit());
  writer.reset();
  std::vector<int64_t> ids = ListIds({.project_id = p.id});
  ASSERT_EQ(ids.size(), 3u);
  // Unlabeled tasks keep the plain import's bookkeeping.
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kNew);
  EXPECT_TRUE(ClaimNext(p.id, AddUser("alice").id));

  std::vector<Prediction> predictions = Ok(store().ListPredictions({ids[2], ids[1], ids[0]}));
  ASSERT_EQ(predictions.size(), 3u);
  EXPECT_EQ(predictions[0].task_id, ids[0]);
  EXPECT_EQ(predictions[0].model_name, "m");
  EXPECT_EQ(predictions[0].model_version, "1");
  EXPECT_EQ(predictions[0].score, 0.25);
  EXPECT_EQ(predictions[0].result_json, R"([{"values":["cat"]}])");
  EXPECT_EQ(predictions[0].media_json, R"({"width":5})");
  EXPECT_EQ(predictions[0].created_at_ms, kT0 + 9);
  EXPECT_EQ(predictions[1].media_json, "");
  EXPECT_EQ(predictions[1].model_name, "é");
  EXPECT_EQ(predictions[1].model_version, "");
  EXPECT_FALSE(predictions[1].score.has_value());
  EXPECT_EQ(predictions[2].task_id, ids[2]);
  EXPECT_EQ(predictions[2].score, -1e-300);
  EXPECT_LT(predictions[0].id, predictions[1].id);
  EXPECT_TRUE(Ok(store().ListPredictions({})).empty());
  EXPECT_TRUE(Ok(store().ListPredictions({ids[1]})).empty());

  // They go with their project.
  Ok(store().DeleteProject(p.id));
  EXPECT_TRUE(Ok(store().ListPredictions(ids)).empty());
}

TEST_P(StoreConformanceTest, ABadPredictionFailsTheImport) {
  Project p = AddProject();
  {
    auto writer = Ok(store().BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    Ok(writer->Add(
        {.data_json = R"({"n":0})", .predictions = {{.model_name = "m", .result_json = "[]"}}}));
    Status status =
        writer->Add({.data_json = "{}",
                     .predictions = {{.model_name = std::string(201, 'x'), .result_json = "[]"}}});
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(status.field(), "model_name");
  }
  EXPECT_EQ(Ok(store().CountTasks(p.id)).total, 0);
  EXPECT_EQ(AddTasks(p.id, 1).size(), 1u);
}

TEST_P(StoreConformanceTest, ImportIntoUnknownProjectIsNotFound) {
  EXPECT_EQ(store().BeginImport(999, kT0).status().code(), StatusCode::kNotFound);
  AddUser("alice");  // and the store still takes writes
}

TEST_P(StoreConformanceTest, ListTasksPagesByIdWithAndWithoutFilters) {
  Project p = AddProject(2);
  Project other = AddProject();
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  AddTasks(other.id, 4);
  std::vector<int64_t> ids = AddTasks(p.id, std::vector<int32_t>{0, 0, 0, 0, 0, 0, 0});
  AddTasks(other.id, 4);
  // alice annotates tasks 0..3, bob 0..1: tasks 0,1 done, 2,3 annotating, 4..6 new.
  for (int i = 0; i < 4; ++i) Ok(Submit(*ClaimNext(p.id, alice.id)));
  for (int i = 0; i < 2; ++i) Ok(Submit(*ClaimNext(p.id, bob.id)));

  struct Case {
    const char* name;
    std::optional<TaskState> state;
    std::optional<int64_t> annotator;
    std::vector<int64_t> want;
  };
  const Case cases[] = {
      {"all", std::nullopt, std::nullopt, ids},
      {"new", TaskState::kNew, std::nullopt, {ids[4], ids[5], ids[6]}},
      {"annotating", TaskState::kAnnotating, std::nullopt, {ids[2], ids[3]}},
      {"done", TaskState::kDone, std::nullopt, {ids[0], ids[1]}},
      {"alice", std::nullopt, alice.id, {ids[0], ids[1], ids[2], ids[3]}},
      {"bob", std::nullopt, bob.id, {ids[0], ids[1]}},
      {"alice annotating", TaskState::kAnnotating, alice.id, {ids[2], ids[3]}},
      {"bob annotating", TaskState::kAnnotating, bob.id, {}},
  };
  for (const Case& c : cases) {
    for (int32_t limit : {1, 2, 3, 1000}) {
      TaskQuery query{
          .project_id = p.id, .state = c.state, .annotator_id = c.annotator, .limit = limit};
      EXPECT_EQ(ListIds(query), c.want) << c.name << " limit " << limit;
      EXPECT_EQ(Ok(store().CountMatchingTasks(query)), static_cast<int64_t>(c.want.size()))
          << c.name;
    }
  }
  // The last full page says there is no next one.
  TaskPage page = Ok(store().ListTasks({.project_id = p.id, .limit = 7}));
  EXPECT_EQ(page.items.size(), 7u);
  EXPECT_FALSE(page.next_after_id);
  page = Ok(store().ListTasks({.project_id = p.id, .limit = 3}));
  ASSERT_TRUE(page.next_after_id);
  EXPECT_EQ(*page.next_after_id, ids[2]);
}

TEST_P(StoreConformanceTest, ListTasksRejectsLimitsOutOfRange) {
  Project p = AddProject();
  for (int32_t limit : {0, -1, 1001}) {
    EXPECT_EQ(store().ListTasks({.project_id = p.id, .limit = limit}).status().code(),
              StatusCode::kInvalidArgument)
        << limit;
  }
}

TEST_P(StoreConformanceTest, UnknownTaskIsNotFound) {
  EXPECT_EQ(store().GetTask(12345).status().code(), StatusCode::kNotFound);
}

// --- the queue ------------------------------------------------------------------------

TEST_P(StoreConformanceTest, ClaimsByPriorityThenImportOrder) {
  Project p = AddProject();
  User alice = AddUser("alice");
  std::vector<int64_t> ids = AddTasks(p.id, std::vector<int32_t>{0, 5, -1, 5, 3});
  std::vector<int64_t> got = AnnotateAll(p.id, alice.id);
  EXPECT_EQ(got, (std::vector<int64_t>{ids[1], ids[3], ids[4], ids[0], ids[2]}));
}

TEST_P(StoreConformanceTest, ClaimingAgainReturnsTheLiveLease) {
  Project p = AddProject(1, 60);
  User alice = AddUser("alice");
  AddTasks(p.id, 3);
  auto first = ClaimNext(p.id, alice.id, kT0);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->existing_lease);
  EXPECT_EQ(first->lease.expires_at_ms, kT0 + 60'000);
  EXPECT_EQ(first->lease.task_id, first->task.id);
  EXPECT_EQ(first->lease.user_id, alice.id);

  auto again = ClaimNext(p.id, alice.id, kT0 + 30'000);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->existing_lease);
  EXPECT_EQ(again->task.id, first->task.id);
  EXPECT_EQ(again->lease.id, first->lease.id);
  EXPECT_EQ(again->lease.expires_at_ms, first->lease.expires_at_ms);

  auto live = Ok(store().FindLiveLease(first->task.id, alice.id, kT0 + 1));
  ASSERT_TRUE(live);
  EXPECT_EQ(live->id, first->lease.id);
  EXPECT_FALSE(Ok(store().FindLiveLease(first->task.id, alice.id, kT0 + 60'000)));
}

TEST_P(StoreConformanceTest, ClaimInUnknownProjectIsNotFound) {
  User alice = AddUser("alice");
  EXPECT_EQ(store().ClaimNextTask(77, alice.id, kT0).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, OverlapHandsATaskToDistinctPeopleOnly) {
  for (int32_t overlap : {1, 2, 3}) {
    SCOPED_TRACE("overlap " + std::to_string(overlap));
    Project p = AddProject(overlap);
    std::vector<int64_t> ids = AddTasks(p.id, 2);
    std::vector<User> users;
    for (int i = 0; i < overlap + 1; ++i) {
      users.push_back(AddUser("o" + std::to_string(overlap) + "u" + std::to_string(i)));
    }
    // Each of the first `overlap` people gets task 0 while the others hold it.
    for (int i = 0; i < overlap; ++i) {
      auto claim = ClaimNext(p.id, users[i].id);
      ASSERT_TRUE(claim);
      EXPECT_EQ(claim->task.id, ids[0]);
      EXPECT_FALSE(claim->existing_lease);
    }
    // With `overlap` live leases on it, the next person gets task 1.
    auto extra = ClaimNext(p.id, users[overlap].id);
    ASSERT_TRUE(extra);
    EXPECT_EQ(extra->task.id, ids[1]);
    // Everyone finishes; nobody gets the same task twice.
    std::map<int64_t, std::set<int64_t>> annotators;
    for (const User& u : users) {
      while (auto claim = ClaimNext(p.id, u.id)) {
        EXPECT_TRUE(annotators[claim->task.id].insert(u.id).second);
        Ok(Submit(*claim));
      }
    }
    for (int64_t id : ids) {
      EXPECT_EQ(annotators[id].size(), static_cast<size_t>(overlap)) << "task " << id;
      EXPECT_EQ(Ok(store().GetTask(id)).state, TaskState::kDone);
    }
  }
}

TEST_P(StoreConformanceTest, ExpiredLeaseGivesItsSlotBack) {
  Project p = AddProject(1, 60);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  AddTasks(p.id, 1);
  auto a = ClaimNext(p.id, alice.id, kT0);
  ASSERT_TRUE(a);
  EXPECT_FALSE(ClaimNext(p.id, bob.id, kT0 + 59'999));
  auto b = ClaimNext(p.id, bob.id, kT0 + 60'000);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->task.id, a->task.id);
  EXPECT_FALSE(b->existing_lease);
  // Alice's lease is gone: her claim waits for bob's lease, her submit fails.
  EXPECT_FALSE(ClaimNext(p.id, alice.id, kT0 + 60'001));
  EXPECT_EQ(Submit(*a, "[]", kT0 + 60'001).status().code(), StatusCode::kLeaseExpired);
  Ok(Submit(*b, "[]", kT0 + 60'001));
  EXPECT_EQ(Ok(store().GetTask(a->task.id)).state, TaskState::kDone);
  EXPECT_FALSE(ClaimNext(p.id, alice.id, kT0 + 60'002));
}

TEST_P(StoreConformanceTest, SubmittingWithAnExpiredLeaseIsLeaseExpired) {
  Project p = AddProject(1, 60);
  User alice = AddUser("alice");
  AddTasks(p.id, 1);
  auto claim = ClaimNext(p.id, alice.id, kT0);
  ASSERT_TRUE(claim);
  for (int64_t now : {kT0 + 60'000, kT0 + 3'600'000}) {
    EXPECT_EQ(Submit(*claim, "[]", now).status().code(), StatusCode::kLeaseExpired) << now;
  }
  EXPECT_TRUE(Ok(store().ListRevisions(claim->task.id, std::nullopt)).empty());
  // Still in time: accepted.
  Revision rev = Ok(Submit(*claim, "[]", kT0 + 59'999));
  EXPECT_EQ(rev.revision, 1);
}

TEST_P(StoreConformanceTest, SubmittingWithoutOwnLeaseIsConflict) {
  Project p = AddProject(2);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  AddTasks(p.id, 2);
  auto a = ClaimNext(p.id, alice.id);
  auto b = ClaimNext(p.id, bob.id);
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->task.id, b->task.id);
  auto other_task = Ok(store().ListTasks({.project_id = p.id, .limit = 2})).items.back().id;

  struct Case {
    const char* name;
    int64_t task_id;
    std::optional<int64_t> lease_id;
  };
  const Case cases[] = {
      {"someone else's lease", a->task.id, b->lease.id},
      {"unknown lease", a->task.id, b->lease.id + 1000},
      {"lease for another task", other_task, a->lease.id},
      {"no lease", a->task.id, std::nullopt},
  };
  for (const Case& c : cases) {
    NewRevision rev{
        .task_id = c.task_id, .user_id = alice.id, .lease_id = c.lease_id, .result_json = "[]"};
    EXPECT_EQ(store().AppendRevision(rev, kT0).status().code(), StatusCode::kConflict) << c.name;
  }
  EXPECT_EQ(
      store()
          .AppendRevision({.task_id = 9999, .user_id = alice.id, .lease_id = a->lease.id}, kT0)
          .status()
          .code(),
      StatusCode::kNotFound);
  // Nothing was written and both leases still work.
  EXPECT_EQ(Ok(store().CountTasks(p.id)).new_tasks, 2);
  Ok(Submit(*a));
  Ok(Submit(*b));
  EXPECT_EQ(Ok(store().GetTask(a->task.id)).state, TaskState::kDone);
}

TEST_P(StoreConformanceTest, IdempotentReplayReturnsTheFirstRevision) {
  Project p = AddProject();
  User alice = AddUser("alice");
  AddTasks(p.id, 2);
  auto claim = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(claim);
  Revision first = Ok(Submit(*claim, R"([{"x":1}])", kT0, "key-1"));
  Revision replay = Ok(Submit(*claim, R"([{"x":2}])", kT0 + 5, "key-1"));
  EXPECT_EQ(replay.id, first.id);
  EXPECT_EQ(replay.result_json, R"([{"x":1}])");
  EXPECT_EQ(replay.created_at_ms, kT0);
  EXPECT_EQ(Ok(store().ListRevisions(claim->task.id, std::nullopt)).size(), 1u);
  // The same key from another user is that user's own key.
  User bob = AddUser("bob");
  auto b = ClaimNext(p.id, bob.id);
  ASSERT_TRUE(b);
  EXPECT_NE(Ok(Submit(*b, "[]", kT0, "key-1")).id, first.id);
}

TEST_P(StoreConformanceTest, ASecondOwnSubmitAddsARevisionWithParent) {
  Project p = AddProject();
  User alice = AddUser("alice");
  AddTasks(p.id, 1);
  auto claim = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(claim);
  Revision r1 = Ok(Submit(*claim, R"(["one"])", kT0));
  // The lease is consumed; the annotation itself allows the edit.
  NewRevision edit{.task_id = claim->task.id,
                   .user_id = alice.id,
                   .result_json = R"(["two"])",
                   .media_json = R"({"w":10})",
                   .lead_time_ms = 7,
                   .source = RevisionSource::kReviewFix};
  Revision r2 = Ok(store().AppendRevision(edit, kT0 + 10));
  EXPECT_EQ(r2.revision, 2);
  EXPECT_EQ(r2.annotation_id, r1.annotation_id);
  ASSERT_TRUE(r2.parent_id);
  EXPECT_EQ(*r2.parent_id, r1.id);
  EXPECT_FALSE(r1.parent_id);
  EXPECT_EQ(r2.media_json, R"({"w":10})");
  EXPECT_EQ(r2.lead_time_ms, 7);
  EXPECT_EQ(r2.source, RevisionSource::kReviewFix);
  EXPECT_EQ(r2.username, "alice");
  // Counts are unchanged by an edit.
  TaskCounts counts = Ok(store().CountTasks(p.id));
  EXPECT_EQ(counts.done, 1);
  EXPECT_EQ(Ok(store().GetProgress(p.id, alice.id)).mine, 1);

  auto current = Ok(store().CurrentRevisions({claim->task.id}));
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].id, r2.id);
}

TEST_P(StoreConformanceTest, ListRevisionsIsOldestFirstWithUsernames) {
  Project p = AddProject(2);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  AddTasks(p.id, 1);
  auto a = ClaimNext(p.id, alice.id);
  auto b = ClaimNext(p.id, bob.id);
  ASSERT_TRUE(a && b);
  Revision a1 = Ok(Submit(*a, R"(["a1"])"));
  Revision b1 = Ok(Submit(*b, R"(["b1"])"));
  Revision a2 = Ok(store().AppendRevision(
      {.task_id = a->task.id, .user_id = alice.id, .result_json = R"(["a2"])"}, kT0));

  auto all = Ok(store().ListRevisions(a->task.id, std::nullopt));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, a1.id);
  EXPECT_EQ(all[1].id, b1.id);
  EXPECT_EQ(all[2].id, a2.id);
  EXPECT_EQ(all[0].username, "alice");
  EXPECT_EQ(all[1].username, "bob");
  EXPECT_EQ(all[1].result_json, R"(["b1"])");
  EXPECT_EQ(all[0].media_json, "");

  auto mine = Ok(store().ListRevisions(a->task.id, alice.id));
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[1].revision, 2);

  // Current revisions: by task, then annotation.
  auto current = Ok(store().CurrentRevisions({a->task.id, a->task.id}));
  ASSERT_EQ(current.size(), 2u);
  EXPECT_EQ(current[0].id, a2.id);
  EXPECT_EQ(current[1].id, b1.id);
}

TEST_P(StoreConformanceTest, SkipExcludesTheTaskForThatUserOnly) {
  Project p = AddProject(1);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  std::vector<int64_t> ids = AddTasks(p.id, 2);
  auto a = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->task.id, ids[0]);
  EXPECT_EQ(store().SkipTask(a->task.id, bob.id, a->lease.id, kT0).code(), StatusCode::kConflict);
  Ok(store().SkipTask(a->task.id, alice.id, a->lease.id, kT0));
  // The skipped lease cannot be used to submit.
  EXPECT_EQ(Submit(*a).status().code(), StatusCode::kConflict);

  auto a2 = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->task.id, ids[1]);
  auto b = ClaimNext(p.id, bob.id);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->task.id, ids[0]);  // the slot came back for others
  Ok(Submit(*a2));
  EXPECT_FALSE(ClaimNext(p.id, alice.id));
}

TEST_P(StoreConformanceTest, ProgressCountsDoneAndMine) {
  Project p = AddProject(2);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  AddTasks(p.id, 4);
  for (int i = 0; i < 3; ++i) Ok(Submit(*ClaimNext(p.id, alice.id)));
  Ok(Submit(*ClaimNext(p.id, bob.id)));

  Progress alice_progress = Ok(store().GetProgress(p.id, alice.id));
  EXPECT_EQ(alice_progress.total, 4);
  EXPECT_EQ(alice_progress.done, 1);
  EXPECT_EQ(alice_progress.mine, 3);
  EXPECT_EQ(Ok(store().GetProgress(p.id, bob.id)).mine, 1);

  TaskCounts counts = Ok(store().CountTasks(p.id));
  EXPECT_EQ(counts.total, 4);
  EXPECT_EQ(counts.new_tasks, 1);
  EXPECT_EQ(counts.annotating, 2);
  EXPECT_EQ(counts.done, 1);

  auto by_state = Ok(store().CountTasksByState());
  std::map<TaskState, int64_t> of_p;
  for (const TaskStateCount& c : by_state) {
    if (c.project_id == p.id) of_p[c.state] = c.count;
  }
  EXPECT_EQ(of_p[TaskState::kNew], 1);
  EXPECT_EQ(of_p[TaskState::kAnnotating], 2);
  EXPECT_EQ(of_p[TaskState::kDone], 1);
}

TEST_P(StoreConformanceTest, ExportVisitsTasksInIdOrderWithCurrentRevisions) {
  Project p = AddProject(1);
  Project other = AddProject(1);
  User alice = AddUser("alice");
  // More tasks than one export batch, with priorities that shuffle claim order.
  std::vector<int32_t> priorities(2'345);
  for (size_t i = 0; i < priorities.size(); ++i) priorities[i] = static_cast<int32_t>(i % 7);
  std::vector<int64_t> ids = AddTasks(p.id, priorities);
  AddTasks(other.id, 3);
  std::map<int64_t, int64_t> revision_of;
  for (int i = 0; i < 50; ++i) {
    auto claim = ClaimNext(p.id, alice.id);
    ASSERT_TRUE(claim);
    revision_of[claim->task.id] = Ok(Submit(*claim)).id;
  }
  std::vector<int64_t> seen;
  Ok(store().ForEachTaskWithAnnotations(
      p.id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        seen.push_back(task.id);
        auto it = revision_of.find(task.id);
        if (it == revision_of.end()) {
          EXPECT_TRUE(revisions.empty()) << task.id;
        } else {
          EXPECT_EQ(revisions.size(), 1u);
          if (!revisions.empty()) {
            EXPECT_EQ(revisions[0].id, it->second);
          }
        }
        return Status::Ok();
      }));
  EXPECT_EQ(seen, ids);

  // The first error from the callback stops the export and comes back.
  int calls = 0;
  Status stopped = store().ForEachTaskWithAnnotations(
      p.id, [&](const Task&, const std::vector<Revision>&) -> Status {
        return ++calls == 3 ? Status::Internal("client went away") : Status::Ok();
      });
  EXPECT_EQ(stopped.code(), StatusCode::kInternal);
  EXPECT_EQ(calls, 3);
}

TEST_P(StoreConformanceTest, OverlapChangeReopensOrClosesSlots) {
  Project p = AddProject(2);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  User carol = AddUser("carol");
  std::vector<int64_t> ids = AddTasks(p.id, 3);
  // Task 0 gets two annotations (done), task 1 one (annotating), task 2 none.
  Ok(Submit(*ClaimNext(p.id, alice.id)));
  Ok(Submit(*ClaimNext(p.id, bob.id)));
  Ok(Submit(*ClaimNext(p.id, alice.id)));
  ASSERT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kDone);
  ASSERT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kAnnotating);

  ProjectUpdate to1;
  to1.settings = ProjectSettings{1, 60};
  EXPECT_EQ(Ok(store().UpdateProject(p.id, to1)).settings.overlap, 1);
  EXPECT_EQ(Ok(store().GetTask(ids[1])).state, TaskState::kDone);
  EXPECT_EQ(Ok(store().GetTask(ids[2])).state, TaskState::kNew);
  // Only task 2 is left, for anyone.
  auto c = ClaimNext(p.id, carol.id);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->task.id, ids[2]);
  Ok(Submit(*c));
  EXPECT_FALSE(ClaimNext(p.id, bob.id));

  // Raising the overlap leaves done tasks done and opens nothing.
  ProjectUpdate to3;
  to3.settings = ProjectSettings{3, 60};
  Ok(store().UpdateProject(p.id, to3));
  EXPECT_EQ(Ok(store().CountTasks(p.id)).done, 3);
  EXPECT_FALSE(ClaimNext(p.id, bob.id));

  // A task still being annotated gets the extra slots of a raised overlap.
  Project q = AddProject(1);
  std::vector<int64_t> qids = AddTasks(q.id, 1);
  auto qa = ClaimNext(q.id, alice.id);
  ASSERT_TRUE(qa);
  EXPECT_FALSE(ClaimNext(q.id, bob.id));
  ProjectUpdate q2;
  q2.settings = ProjectSettings{2, 60};
  Ok(store().UpdateProject(q.id, q2));
  auto qb = ClaimNext(q.id, bob.id);
  ASSERT_TRUE(qb);
  EXPECT_EQ(qb->task.id, qids[0]);
  Ok(Submit(*qa));
  EXPECT_EQ(Ok(store().GetTask(qids[0])).state, TaskState::kAnnotating);
  Ok(Submit(*qb));
  EXPECT_EQ(Ok(store().GetTask(qids[0])).state, TaskState::kDone);
}

TEST_P(StoreConformanceTest, ConcurrentClaimsGiveEachTaskExactlyOverlapDistinctPeople) {
  constexpr int kThreads = 8;
  constexpr int kTasks = 500;
  constexpr int kOverlap = 2;
  Project p = AddProject(kOverlap);
  AddTasks(p.id, kTasks);
  std::vector<User> users;
  for (int i = 0; i < kThreads; ++i) users.push_back(AddUser("worker" + std::to_string(i)));

  std::atomic<int> errors{0};
  std::atomic<int> submitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, user_id = users[i].id] {
      while (true) {
        auto claim = store().ClaimNextTask(p.id, user_id, kT0);
        if (!claim.ok()) {
          ++errors;
          return;
        }
        if (!*claim) return;
        if (!Submit(**claim).ok()) {
          ++errors;
          return;
        }
        ++submitted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(submitted.load(), kTasks * kOverlap);

  ExpectEachTaskDoneByDistinctPeople(store(), p.id, kOverlap, kTasks);
}

// Writes that fail must undo only themselves, also when they run beside
// successful ones (backends may share one commit among concurrent writes).
TEST_P(StoreConformanceTest, ConcurrentFailingWritesLeaveOthersIntact) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;
  Project p = AddProject(1);
  AddTasks(p.id, kThreads * kPerThread);
  std::vector<User> users;
  for (int i = 0; i < kThreads; ++i) users.push_back(AddUser("w" + std::to_string(i)));

  std::atomic<int> unexpected{0};
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i, user_id = users[i].id] {
      for (int n = 0; n < kPerThread; ++n) {
        // Everyone races for one name: exactly one CreateUser wins.
        auto user = store().CreateUser("contested", "h", Role::kAnnotator, kT0);
        if (user.ok()) {
          ++created;
        } else if (user.status().code() != StatusCode::kAlreadyExists) {
          ++unexpected;
        }
        auto claim = store().ClaimNextTask(p.id, user_id, kT0);
        if (!claim.ok() || !*claim) {
          ++unexpected;
          return;
        }
        NewRevision bad{.task_id = (*claim)->task.id,
                        .user_id = user_id,
                        .lease_id = (*claim)->lease.id + 1'000'000,
                        .result_json = "[]"};
        if (store().AppendRevision(bad, kT0).status().code() != StatusCode::kConflict) {
          ++unexpected;
        }
        if (!Submit(**claim, "[" + std::to_string(i) + "]").ok()) ++unexpected;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(Ok(store().CountUsers()), kThreads + 2);  // workers, owner, contested
  EXPECT_EQ(Ok(store().CountTasks(p.id)).done, kThreads * kPerThread);
  EXPECT_EQ(Ok(store().GetProgress(p.id, users[0].id)).mine, kPerThread);
}

TEST_P(StoreConformanceTest, SkippingAfterTheLeaseExpiredStillRecordsTheSkip) {
  Project p = AddProject(1, 60);
  User alice = AddUser("alice");
  User bob = AddUser("bob");
  std::vector<int64_t> ids = AddTasks(p.id, 1);
  auto a = ClaimNext(p.id, alice.id, kT0);
  ASSERT_TRUE(a);
  auto b = ClaimNext(p.id, bob.id, kT0 + 60'000);  // releases alice's lease
  ASSERT_TRUE(b);
  Ok(store().SkipTask(a->task.id, alice.id, a->lease.id, kT0 + 60'001));
  Ok(store().SkipTask(b->task.id, bob.id, b->lease.id, kT0 + 60'001));
  EXPECT_FALSE(ClaimNext(p.id, alice.id, kT0 + 60'002));
  EXPECT_FALSE(ClaimNext(p.id, bob.id, kT0 + 60'002));
  User carol = AddUser("carol");
  auto c = ClaimNext(p.id, carol.id, kT0 + 60'002);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->task.id, ids[0]);
}

TEST_P(StoreConformanceTest, CommittedDataSurvivesReopening) {
  User alice = AddUser("alice");
  Project p = AddProject(1);
  Ok(store().AddMember(p.id, alice.id));
  Ok(store().CreateSession("s", alice.id, kT0 + 1000));
  std::vector<int64_t> ids = AddTasks(p.id, 3);
  auto claim = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(claim);
  Revision rev = Ok(Submit(*claim, R"(["kept"])", kT0, "k"));
  auto held = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(held);

  Reopen();

  EXPECT_EQ(Ok(store().FindUserByName("alice")).user.id, alice.id);
  EXPECT_EQ(Ok(store().UserForSession("s", kT0)).id, alice.id);
  EXPECT_TRUE(Ok(store().IsMember(p.id, alice.id)));
  EXPECT_EQ(Ok(store().CountTasks(p.id)).total, 3);
  auto revisions = Ok(store().ListRevisions(ids[0], std::nullopt));
  ASSERT_EQ(revisions.size(), 1u);
  EXPECT_EQ(revisions[0].result_json, R"(["kept"])");
  // Leases and idempotency keys survive too.
  auto again = ClaimNext(p.id, alice.id);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->existing_lease);
  EXPECT_EQ(again->lease.id, held->lease.id);
  EXPECT_EQ(Ok(Submit(*claim, "[]", kT0, "k")).id, rev.id);
}

// --- the whole database ---------------------------------------------------------------

std::string Describe(const User& u) {
  return std::to_string(u.id) + " " + u.username + " " + RoleName(u.role) + " " +
         std::to_string(u.created_at_ms);
}

std::string Describe(const Project& p) {
  return std::to_string(p.id) + " " + p.name + " " + p.schema_json + " " +
         SettingsToJson(p.settings) + " " + std::to_string(p.created_by) + " " +
         std::to_string(p.created_at_ms);
}

std::string Describe(const Task& t) {
  return std::to_string(t.id) + " " + std::to_string(t.project_id) + " " + t.data_json + " " +
         std::to_string(t.priority) + " " + TaskStateName(t.state) + " " +
         std::to_string(t.created_at_ms);
}

std::string Describe(const Revision& r) {
  return std::to_string(r.id) + " " + std::to_string(r.annotation_id) + " " +
         std::to_string(r.task_id) + " " + r.username + " " + std::to_string(r.revision) + " " +
         r.result_json + " " + r.media_json + " " + std::to_string(r.lead_time_ms) + " " +
         RevisionSourceName(r.source) + " " + (r.parent_id ? std::to_string(*r.parent_id) : "-") +
         " " + std::to_string(r.created_at_ms);
}

template <typename T>
std::vector<std::string> DescribeAll(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(Describe(item));
  return out;
}

std::vector<Task> AllTasks(Store& store, int64_t project_id) {
  std::vector<Task> tasks;
  TaskQuery query{.project_id = project_id, .limit = 2};  // several pages
  while (true) {
    TaskPage page = Ok(store.ListTasks(query));
    tasks.insert(tasks.end(), page.items.begin(), page.items.end());
    if (!page.next_after_id) return tasks;
    query.after_id = *page.next_after_id;
  }
}

std::vector<std::string> DescribeExport(Store& store, int64_t project_id) {
  std::vector<std::string> out;
  Ok(store.ForEachTaskWithAnnotations(
      project_id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        out.push_back(Describe(task));
        for (const Revision& r : revisions) out.push_back("  " + Describe(r));
        return Status::Ok();
      }));
  return out;
}

// What every read of the Store API says about `a` and `b` is the same.
void ExpectSameThroughTheApi(Store& a, Store& b, int64_t now_ms) {
  const std::vector<User> users = Ok(a.ListUsers());
  EXPECT_EQ(DescribeAll(Ok(b.ListUsers())), DescribeAll(users));
  EXPECT_EQ(Ok(b.CountUsers()), Ok(a.CountUsers()));
  for (const User& u : users) {
    EXPECT_EQ(Ok(b.FindUserByName(u.username)).password_hash,
              Ok(a.FindUserByName(u.username)).password_hash);
    EXPECT_EQ(DescribeAll(Ok(b.ListProjects(u.id))), DescribeAll(Ok(a.ListProjects(u.id))));
  }
  EXPECT_EQ(Ok(b.UserForSession("session-alice", now_ms)).username, "alice");
  EXPECT_EQ(Ok(b.UserForApiToken("token-bob")).username, "bob");
  const std::vector<Project> projects = Ok(a.ListProjects(std::nullopt));
  EXPECT_EQ(DescribeAll(Ok(b.ListProjects(std::nullopt))), DescribeAll(projects));
  EXPECT_EQ(Ok(b.CountTasksByState()).size(), Ok(a.CountTasksByState()).size());
  for (const Project& p : projects) {
    SCOPED_TRACE("project " + p.name);
    EXPECT_EQ(DescribeAll(Ok(b.ListMembers(p.id))), DescribeAll(Ok(a.ListMembers(p.id))));
    const std::vector<Task> tasks = AllTasks(a, p.id);
    EXPECT_EQ(DescribeAll(AllTasks(b, p.id)), DescribeAll(tasks));
    TaskCounts ca = Ok(a.CountTasks(p.id));
    TaskCounts cb = Ok(b.CountTasks(p.id));
    EXPECT_EQ(std::tie(cb.total, cb.new_tasks, cb.annotating, cb.done),
              std::tie(ca.total, ca.new_tasks, ca.annotating, ca.done));
    for (const User& u : users) {
      Progress pa = Ok(a.GetProgress(p.id, u.id));
      Progress pb = Ok(b.GetProgress(p.id, u.id));
      EXPECT_EQ(std::tie(pb.total, pb.done, pb.mine), std::tie(pa.total, pa.done, pa.mine));
    }
    std::vector<int64_t> ids;
    for (const Task& t : tasks) {
      ids.push_back(t.id);
      EXPECT_EQ(DescribeAll(Ok(b.ListRevisions(t.id, std::nullopt))),
                DescribeAll(Ok(a.ListRevisions(t.id, std::nullopt))));
      for (const User& u : users) {
        auto la = Ok(a.FindLiveLease(t.id, u.id, now_ms));
        auto lb = Ok(b.FindLiveLease(t.id, u.id, now_ms));
        EXPECT_EQ(lb ? lb->id : 0, la ? la->id : 0) << "task " << t.id << ", " << u.username;
      }
    }
    EXPECT_EQ(DescribeAll(Ok(b.CurrentRevisions(ids))), DescribeAll(Ok(a.CurrentRevisions(ids))));
    EXPECT_EQ(DescribeExport(b, p.id), DescribeExport(a, p.id));
  }
}

int64_t MaxId(const std::vector<DumpedRow>& rows, const std::string& table) {
  int64_t max = 0;
  for (const DumpedRow& row : rows) {
    if (row.table == table && row.columns[0] == "id") {
      max = std::max<int64_t>(max, std::stoll(*row.values[0]));
    }
  }
  return max;
}

TEST_P(StoreConformanceTest, DumpAndLoadCarryTheWholeDatabase) {
  Populate(store(), kT0);
  const std::vector<DumpedRow> dump = DumpAll(store());
  std::vector<std::string> tables;
  for (const DumpedRow& row : dump) {
    if (tables.empty() || tables.back() != row.table) tables.push_back(row.table);
  }
  std::vector<std::string> all;
  for (const DumpTable& t : SchemaTables()) all.emplace_back(t.name);
  EXPECT_EQ(tables, all) << "Populate leaves a row in every table";

  std::unique_ptr<Store> loaded = OpenNewDatabase();
  ASSERT_NE(loaded, nullptr);
  Ok(LoadAll(dump, *loaded));
  EXPECT_EQ(DumpAll(*loaded), dump);
  const int64_t now = kT0 + 70'001;
  ExpectSameThroughTheApi(store(), *loaded, now);
  auto describe = [](const std::vector<Prediction>& predictions) {
    std::string out;
    for (const Prediction& p : predictions) {
      out += std::to_string(p.id) + " " + std::to_string(p.task_id) + " " + p.model_name + " " +
             p.model_version + " " + (p.score ? std::to_string(*p.score) : "null") + " " +
             p.result_json + " " + p.media_json + " " + std::to_string(p.created_at_ms) + "\n";
    }
    return out;
  };
  for (const Project& p : Ok(store().ListProjects(std::nullopt))) {
    const std::vector<int64_t> ids = ListIds({.project_id = p.id});
    EXPECT_EQ(describe(Ok(loaded->ListPredictions(ids))),
              describe(Ok(store().ListPredictions(ids))));
  }
  int64_t with_predictions = 0;
  for (const Project& p : Ok(loaded->ListProjects(std::nullopt))) {
    std::vector<int64_t> ids;
    for (const Task& t : Ok(loaded->ListTasks({.project_id = p.id, .limit = 1000})).items) {
      ids.push_back(t.id);
    }
    with_predictions += static_cast<int64_t>(Ok(loaded->ListPredictions(ids)).size());
  }
  EXPECT_EQ(with_predictions, 2);  // Populate's

  // The queue goes on the same way: live leases come back, the next tasks
  // are the same, replays find their revisions.
  for (const Project& p : Ok(store().ListProjects(std::nullopt))) {
    for (const User& u : Ok(store().ListUsers())) {
      auto a = Ok(store().ClaimNextTask(p.id, u.id, now));
      auto b = Ok(loaded->ClaimNextTask(p.id, u.id, now));
      ASSERT_EQ(b.has_value(), a.has_value()) << p.name << ", " << u.username;
      if (!a) continue;
      EXPECT_EQ(b->task.id, a->task.id) << p.name << ", " << u.username;
      EXPECT_EQ(b->existing_lease, a->existing_lease) << p.name << ", " << u.username;
      if (a->existing_lease) {
        EXPECT_EQ(b->lease.id, a->lease.id);
      }
    }
  }
  const User alice = Ok(loaded->FindUserByName("alice")).user;
  NewRevision replay{.task_id = 0, .user_id = alice.id, .idempotency_key = "key-1"};
  for (const DumpedRow& row : dump) {
    if (row.table == "revisions" && row.values[10] == "key-1" &&
        row.values[3] == std::to_string(alice.id)) {
      replay.task_id = std::stoll(*row.values[2]);
      EXPECT_EQ(Ok(loaded->AppendRevision(replay, now)).id, std::stoll(*row.values[0]));
    }
  }
  EXPECT_NE(replay.task_id, 0);

  // New rows take ids past the loaded ones.
  User newcomer = Ok(loaded->CreateUser("newcomer", "h", Role::kAnnotator, now));
  EXPECT_GT(newcomer.id, MaxId(dump, "users"));
  EXPECT_GT(Ok(loaded->CreateApiToken("token-new", newcomer.id, "", now)),
            MaxId(dump, "api_tokens"));
  Project fresh = Ok(loaded->CreateProject(
      {.name = "new", .schema_json = "{}", .settings = {1, 60}, .created_by = newcomer.id}, now));
  EXPECT_GT(fresh.id, MaxId(dump, "projects"));
  auto writer = Ok(loaded->BeginImport(fresh.id, now));
  ASSERT_NE(writer, nullptr);
  Ok(writer->Add({.data_json = "{}"}));
  Ok(writer->Commit());
  writer.reset();
  auto claim = Ok(loaded->ClaimNextTask(fresh.id, newcomer.id, now));
  ASSERT_TRUE(claim);
  EXPECT_GT(claim->task.id, MaxId(dump, "tasks"));
  EXPECT_GT(claim->lease.id, MaxId(dump, "leases"));
  Revision rev = Ok(loaded->AppendRevision({.task_id = claim->task.id,
                                            .user_id = newcomer.id,
                                            .lease_id = claim->lease.id,
                                            .result_json = "[]"},
                                           now));
  EXPECT_GT(rev.annotation_id, MaxId(dump, "annotations"));
  EXPECT_GT(rev.id, MaxId(dump, "revisions"));
}

TEST_P(StoreConformanceTest, DumpStopsAtTheFirstErrorOfTheCallback) {
  Populate(store(), kT0);
  int calls = 0;
  Status stopped = store().DumpTables([&](std::string_view, const std::vector<std::string>&,
                                          const std::vector<std::optional<std::string>>&) {
    return ++calls == 3 ? Status::Internal("disk full") : Status::Ok();
  });
  EXPECT_EQ(stopped.code(), StatusCode::kInternal);
  EXPECT_EQ(calls, 3);
}

TEST_P(StoreConformanceTest, LoadNeedsAnEmptyDatabase) {
  AddUser("alice");
  EXPECT_EQ(store().BeginLoad().status().code(), StatusCode::kConflict);

  // A load dropped without Commit() leaves the database empty.
  std::unique_ptr<Store> empty = OpenNewDatabase();
  ASSERT_NE(empty, nullptr);
  {
    auto loader = Ok(empty->BeginLoad());
    ASSERT_NE(loader, nullptr);
    Ok(loader->Add("users", {"id", "username", "password_hash", "role", "created_at"},
                   {"7", "bob", "h", "0", "1"}));
  }
  EXPECT_EQ(Ok(empty->CountUsers()), 0);
  auto loader = Ok(empty->BeginLoad());
  ASSERT_NE(loader, nullptr);
}

TEST_P(StoreConformanceTest, LoadRefusesBadRowsAndLoadsNothing) {
  using Values = std::vector<std::optional<std::string>>;
  const std::vector<std::string> user_columns = {"id", "username", "password_hash", "role",
                                                 "created_at"};
  const std::vector<std::string> project_columns = {
      "id", "name", "schema_json", "settings_json", "created_by", "created_at", "deleted"};
  struct Case {
    const char* name;
    std::string table;
    std::vector<std::string> columns;
    Values values;
  };
  const Case cases[] = {
      {"unknown table", "secrets", {"id"}, {"1"}},
      {"unknown column", "users", {"id", "username", "is_root"}, {"2", "eve", "1"}},
      {"column twice", "users", {"id", "id"}, {"2", "2"}},
      {"fewer values than columns", "users", user_columns, {"2", "eve", "h", "0"}},
      {"no columns", "users", {}, {}},
      {"duplicate id", "users", user_columns, {"1", "eve", "h", "0", "1"}},
      {"dangling key",
       "projects",
       project_columns,
       {"1", "p", "{}", R"({"overlap":1})", "99", "1", "0"}},
      {"task of no project",
       "tasks",
       {"id", "project_id", "priority", "state", "open_slots", "created_at", "data"},
       {"1", "99", "0", "0", "1", "1", "{}"}},
      {"NULL where none may be", "users", user_columns, {"2", std::nullopt, "h", "0", "1"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<Store> db = OpenNewDatabase();
    ASSERT_NE(db, nullptr);
    auto loader = Ok(db->BeginLoad());
    ASSERT_NE(loader, nullptr);
    Ok(loader->Add("users", user_columns, {"1", "alice", "h", "3", "1"}));
    Status added = loader->Add(c.table, c.columns, c.values);
    Status committed = loader->Commit();
    const Status& first = added.ok() ? committed : added;
    EXPECT_EQ(first.code(), StatusCode::kInvalidArgument) << first.ToString();
    EXPECT_FALSE(committed.ok());
    loader.reset();
    EXPECT_EQ(Ok(db->CountUsers()), 0);
    EXPECT_TRUE(Ok(db->ListProjects(std::nullopt)).empty());
  }
}

}  // namespace
}  // namespace plumb::store
