#include "store/store_conformance_test.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

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

  int tasks = 0;
  Ok(store().ForEachTaskWithAnnotations(
      p.id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        ++tasks;
        EXPECT_EQ(task.state, TaskState::kDone);
        std::set<int64_t> people;
        for (const Revision& r : revisions) people.insert(r.user_id);
        EXPECT_EQ(revisions.size(), static_cast<size_t>(kOverlap)) << task.id;
        EXPECT_EQ(people.size(), static_cast<size_t>(kOverlap)) << task.id;
        return Status::Ok();
      }));
  EXPECT_EQ(tasks, kTasks);
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

}  // namespace
}  // namespace plumb::store
