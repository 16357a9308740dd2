// The conformance suite on SQLite, plus what only the SQLite backend has:
// migrations, pragmas, query plans, and (disabled by default) speed checks.

#include <sched.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

std::string CreateSqliteDatabase() {
  std::string dir = ::testing::TempDir() + "plumb_store_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return "/nonexistent/plumb.db";
  }
  return dir + "/plumb.db";
}

Result<std::unique_ptr<Store>> OpenSqliteDatabase(const std::string& path) {
  return OpenSqliteStore(path, {.reader_connections = 4});
}

void DestroySqliteDatabase(const std::string& path) {
  std::error_code ignored;  // a leftover temp dir is harmless
  std::filesystem::remove_all(std::filesystem::path(path).parent_path(), ignored);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"Sqlite", CreateSqliteDatabase,
                                                        OpenSqliteDatabase, DestroySqliteDatabase}),
                         BackendName);

using sqlite::Connection;
using sqlite::Statement;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = CreateSqliteDatabase(); }
  void TearDown() override { DestroySqliteDatabase(path_); }

  std::unique_ptr<Store> OpenStore() {
    auto store = OpenSqliteStore(path_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // A connection of the test's own, beside the store's.
  std::unique_ptr<Connection> Raw() {
    return Ok(Connection::Open(path_, Connection::Mode::kReadWrite));
  }

  std::vector<std::string> Column(Connection& c, const std::string& sql) {
    std::vector<std::string> out;
    auto stmt = Ok(c.Prepare(sql));
    while (Ok(stmt.Step())) out.push_back(stmt.Text(0));
    return out;
  }

  std::string path_;
};

TEST_F(SqliteStoreTest, OpenAppliesEveryMigrationOnceAndUsesWal) {
  const size_t n = sqlite::Migrations().size();
  for (int round = 0; round < 2; ++round) {
    ASSERT_NE(OpenStore(), nullptr);
    auto raw = Raw();
    ASSERT_NE(raw, nullptr);
    std::vector<std::string> versions = Column(*raw, "SELECT version FROM schema_migrations");
    ASSERT_EQ(versions.size(), n);
    EXPECT_EQ(versions.back(), std::to_string(n));
    EXPECT_EQ(Ok(raw->QueryText("PRAGMA journal_mode")), "wal");
  }
}

// Memory statistics cost a process-wide mutex per allocation (sqlite_db.cc);
// they stay at zero only if the store turned them off before SQLite started.
TEST_F(SqliteStoreTest, SqliteKeepsNoMemoryStatistics) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  User user = Ok(store->CreateUser("stats", "hash", Role::kAnnotator, 1));
  ASSERT_TRUE(store->GetUser(user.id).ok());
  sqlite3_int64 used = -1, highest = -1;
  ASSERT_EQ(sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &used, &highest, 0), SQLITE_OK);
  EXPECT_EQ(used, 0);
  EXPECT_EQ(highest, 0);
}

TEST_F(SqliteStoreTest, RefusesADatabaseFromANewerBuild) {
  ASSERT_NE(OpenStore(), nullptr);
  {
    auto raw = Raw();
    Ok(raw->Exec("INSERT INTO schema_migrations (version) VALUES (1000)"));
  }
  auto store = OpenSqliteStore(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

TEST_F(SqliteStoreTest, OpenStoreTakesPathsAndSqliteLocations) {
  struct Case {
    std::string location;
    StatusCode code;
  };
  const Case cases[] = {
      {path_, StatusCode::kOk},
      {"sqlite:" + path_, StatusCode::kOk},
      {"", StatusCode::kInvalidArgument},
      {"sqlite:", StatusCode::kInvalidArgument},
      {"mysql://root@localhost/plumb", StatusCode::kInvalidArgument},
      {"/nonexistent-dir/for/sure/plumb.db", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    auto store = store::OpenStore(c.location);
    EXPECT_EQ(store.ok() ? StatusCode::kOk : store.status().code(), c.code) << c.location;
  }
  // Both spellings opened the same file.
  auto raw = Raw();
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(sqlite::Migrations().size())});
}

TEST_F(SqliteStoreTest, UnopenablePathIsInternal) {
  auto store = OpenSqliteStore("/nonexistent-dir/for/sure/plumb.db");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

// A project of `tasks` tasks with empty data, each to be labeled `overlap`
// times.
Project AddPlainProject(Store& store, int64_t owner_id, const std::string& name, int32_t overlap,
                        int tasks) {
  Project p = Ok(store.CreateProject(
      {.name = name, .schema_json = "{}", .settings = {overlap, 60}, .created_by = owner_id}, 1));
  auto writer = Ok(store.BeginImport(p.id, 1));
  for (int i = 0; i < tasks; ++i) Ok(writer->Add({.data_json = "{}"}));
  Ok(writer->Commit());
  return p;
}

// An annotator and their claim of the first task of a new overlap-1 project
// of `tasks` tasks.
std::pair<User, std::optional<Claim>> ClaimFirstTask(Store& store, int tasks) {
  User owner = Ok(store.CreateUser("owner", "h", Role::kManager, 1));
  User ann = Ok(store.CreateUser("ann", "h", Role::kAnnotator, 1));
  Project p = AddPlainProject(store, owner.id, "p", /*overlap=*/1, tasks);
  return {ann, Ok(store.ClaimNextTask(p.id, ann.id, 2))};
}

// The writer commits with synchronous=NORMAL and syncs the WAL itself
// before a write returns. A WAL file that is no longer the one SQLite
// writes (here: unlinked under it) cannot be synced, so the write must not
// be reported done: without the sync it would return OK and be lost on a
// power cut.
TEST_F(SqliteStoreTest, AWriteReturnsOnlyAfterTheWalItWroteIsSynced) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
  Project p = AddPlainProject(*store, owner.id, "p", /*overlap=*/1, /*tasks=*/1);
  ASSERT_EQ(Ok(store->CountTasks(p.id)).total, 1);
  ASSERT_EQ(::unlink((path_ + "-wal").c_str()), 0);

  auto user = store->CreateUser("second", "h", Role::kAnnotator, 1);
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.status().code(), StatusCode::kInternal);
  EXPECT_NE(user.status().message().find("-wal"), std::string::npos) << user.status().ToString();
  auto writer = Ok(store->BeginImport(p.id, 1));
  Ok(writer->Add({.data_json = "{}"}));
  Status imported = writer->Commit().status();
  EXPECT_EQ(imported.code(), StatusCode::kInternal) << imported.ToString();
}

// A write's body runs on the store's writer thread, not the caller's.
// What it throws still reaches its own caller, its changes are rolled back,
// and the store goes on taking writes.
TEST_F(SqliteStoreTest, AWriteThatThrowsThrowsToItsCallerAndLeavesTheStoreWorking) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto [ann, claim] = ClaimFirstTask(*store, /*tasks=*/2);
  ASSERT_TRUE(claim);
  RevisionHooks throwing;
  throwing.complete = [](const CompletionInput&) -> Result<Completion> {
    throw std::runtime_error("hook failed");
  };
  NewRevision rev{.task_id = claim->task.id,
                  .user_id = ann.id,
                  .lease_id = claim->lease.id,
                  .result_json = "[]",
                  .hooks = &throwing};
  EXPECT_THROW((void)store->AppendRevision(rev, 3), std::runtime_error);
  EXPECT_EQ(Ok(store->GetTask(claim->task.id)).state, TaskState::kNew)
      << "the annotation the hook was called for was rolled back";
  EXPECT_TRUE(Ok(store->ListRevisions(claim->task.id, std::nullopt)).empty());

  rev.hooks = nullptr;
  Ok(store->AppendRevision(rev, 4));
  EXPECT_EQ(Ok(store->GetTask(claim->task.id)).state, TaskState::kDone);
}

// Every write waits for the writer thread, so it keeps the default policy
// when the threads that call the store (a server's) run under SCHED_BATCH.
TEST_F(SqliteStoreTest, WritesRunOnTheStoresWriterThreadUnderTheDefaultPolicy) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto [ann, claim] = ClaimFirstTask(*store, /*tasks=*/1);
  ASSERT_TRUE(claim);
  std::thread::id ran_on;
  int policy = -1;
  RevisionHooks recording;
  recording.complete = [&](const CompletionInput& input) -> Result<Completion> {
    ran_on = std::this_thread::get_id();
    policy = sched_getscheduler(0);
    return DefaultCompletion(input);
  };
  sched_param param{};
  ASSERT_EQ(sched_setscheduler(0, SCHED_BATCH, &param), 0);
  Ok(store->AppendRevision({.task_id = claim->task.id,
                            .user_id = ann.id,
                            .lease_id = claim->lease.id,
                            .result_json = "[]",
                            .hooks = &recording},
                           3));
  (void)sched_setscheduler(0, SCHED_OTHER, &param);
  EXPECT_NE(ran_on, std::thread::id());
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(policy, SCHED_OTHER);
  EXPECT_EQ(Ok(store->GetTask(claim->task.id)).state, TaskState::kDone);
}

// Found tokens are kept in memory; unknown ones are not, so a token that
// another process (here: a second store on the file) creates later works.
TEST_F(SqliteStoreTest, ATokenUnknownAtFirstIsFoundOnceAnotherProcessCreatesIt) {
  auto store = OpenStore();
  auto other = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_NE(other, nullptr);
  User ann = Ok(store->CreateUser("ann", "h", Role::kAnnotator, 1));
  EXPECT_EQ(store->UserForApiToken("hash-1").status().code(), StatusCode::kUnauthenticated);
  Ok(other->CreateApiToken("hash-1", ann.id, "t", 2));
  for (int i = 0; i < 2; ++i) {
    User found = Ok(store->UserForApiToken("hash-1"));
    EXPECT_EQ(found.id, ann.id);
    EXPECT_EQ(found.username, "ann");
    EXPECT_EQ(found.role, Role::kAnnotator);
  }
  EXPECT_EQ(store->UserForApiToken("hash-2").status().code(), StatusCode::kUnauthenticated);
}

// The tables the store keeps answers from between writes (config_cache.h),
// read whole through a connection of the test's own.
std::string ConfigTables(Connection& c) {
  std::string out;
  for (const char* table :
       {"projects", "project_members", "workforces", "workforce_members", "project_workforces",
        "bakeoffs", "bakeoff_candidates", "instructions_versions", "instruction_acks"}) {
    const std::string sql = std::string("SELECT * FROM ") + table + " ORDER BY 1, 2";
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(c.handle(), sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    out += table;
    while (s != nullptr && sqlite3_step(s) == SQLITE_ROW) {
      out += "\n ";
      for (int i = 0; i < sqlite3_column_count(s); ++i) {
        const unsigned char* text = sqlite3_column_text(s, i);
        out += text ? reinterpret_cast<const char*>(text) : "NULL";
        out += "|";
      }
    }
    sqlite3_finalize(s);
    out += "\n";
  }
  return out;
}

// The labeling writes (claims, submits that complete tasks and grade golden
// ones, skips) do not bump the cache's epoch: they must then change none of
// its tables. A later change to one of them must go through Write instead.
TEST_F(SqliteStoreTest, LabelingWritesChangeNoTableWhoseAnswersAreKept) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
  Project p = AddPlainProject(*store, owner.id, "p", /*overlap=*/2, /*tasks=*/6);
  ProjectSettings settings = p.settings;
  settings.golden_rate = 0.5;
  settings.pause_threshold = 0.9;
  settings.pause_window = 1;
  p = Ok(store->UpdateProject(p.id, {.settings = settings}));
  Ok(store->SetGoldenAnswer(Ok(store->ListTasks({.project_id = p.id, .limit = 1})).items[0].id,
                            GoldenAnswer{"[\"gold\"]", ""}));
  Workforce team = Ok(store->CreateWorkforce({.name = "team"}, 1));
  Ok(store->GrantProjectAccess(p.id, team.id));
  InstructionsVersion v1 =
      Ok(store->SaveInstructions({.project_id = p.id, .author_id = owner.id, .body = "b"}, 1));
  std::vector<User> labelers;
  for (const char* name : {"a", "b", "c"}) {
    labelers.push_back(Ok(store->CreateUser(name, "h", Role::kAnnotator, 1)));
    Ok(store->AddWorkforceMember(team.id, labelers.back().id));
    Ok(store->Acknowledge(p.id, labelers.back().id, v1.version, 2));
  }
  Ok(store->AddMember(p.id, labelers[0].id));
  RevisionHooks hooks;
  hooks.complete = [](const CompletionInput& input) { return DefaultCompletion(input); };
  hooks.grade = [](const GoldenAnswer& answer, const Revision& r) -> Result<GoldenGrade> {
    const bool correct = answer.result_json == r.result_json;
    return GoldenGrade{.task_id = r.task_id,
                       .user_id = r.user_id,
                       .revision_id = r.id,
                       .score = correct ? 1.0 : 0.0,
                       .correct = correct};
  };
  auto raw = Raw();
  const std::string before = ConfigTables(*raw);

  int submitted = 0, skipped = 0, golden = 0;
  for (int round = 0; round < 4; ++round) {
    for (const User& u : labelers) {
      auto claim = Ok(store->ClaimGoldenTask(p.id, u.id, 10 + round));
      if (claim) {
        ++golden;
      } else {
        claim = Ok(store->ClaimNextTask(p.id, u.id, 10 + round));
      }
      if (!claim) continue;
      if (u.id == labelers[2].id && round == 1) {
        Ok(store->SkipTask(claim->task.id, u.id, claim->lease.id, 10 + round));
        ++skipped;
        continue;
      }
      Ok(store->AppendRevision({.task_id = claim->task.id,
                                .user_id = u.id,
                                .lease_id = claim->lease.id,
                                .result_json = "[\"lead\"]",
                                .hooks = &hooks,
                                .pause = PauseRule{settings.pause_threshold, 1}},
                               10 + round));
      ++submitted;
    }
  }
  EXPECT_GT(Ok(store->CountTasks(p.id)).done, 0) << "some tasks completed";
  EXPECT_EQ(golden, 3) << "each labeler got the golden task";
  EXPECT_EQ(skipped, 1);
  EXPECT_GE(submitted, 6);
  EXPECT_EQ(ConfigTables(*raw), before);
}

// A kept answer ends with the write that changes what it answered, for the
// next call on any thread: no stale project, membership, instructions
// version or bake-off labeler is served after a change returned.
TEST_F(SqliteStoreTest, KeptConfigurationAnswersEndWithTheWriteThatChangesThem) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
  User ann = Ok(store->CreateUser("ann", "h", Role::kAnnotator, 1));
  Project p = AddPlainProject(*store, owner.id, "p", /*overlap=*/1, /*tasks=*/2);
  Workforce team = Ok(store->CreateWorkforce({.name = "team"}, 1));
  Ok(store->AddWorkforceMember(team.id, ann.id));
  EXPECT_FALSE(Ok(store->IsMember(p.id, ann.id)));
  Ok(store->GrantProjectAccess(p.id, team.id));
  // Each answer read twice: the second may come from memory.
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(Ok(store->IsMember(p.id, ann.id)));
    EXPECT_EQ(Ok(store->GetProject(p.id)).name, "p");
    EXPECT_EQ(Ok(store->GetInstructionsStatus(p.id, ann.id)).current, 0);
  }
  Ok(store->RemoveWorkforceMember(team.id, ann.id));
  EXPECT_FALSE(Ok(store->IsMember(p.id, ann.id)));
  Ok(store->UpdateProject(p.id, {.name = std::string("renamed")}));
  EXPECT_EQ(Ok(store->GetProject(p.id)).name, "renamed");
  InstructionsVersion v1 =
      Ok(store->SaveInstructions({.project_id = p.id, .author_id = owner.id, .body = "b"}, 1));
  EXPECT_EQ(Ok(store->GetInstructionsStatus(p.id, ann.id)).current, v1.version);
  EXPECT_EQ(Ok(store->GetInstructionsStatus(p.id, ann.id)).acknowledged, 0);
  Ok(store->Acknowledge(p.id, ann.id, v1.version, 2));
  EXPECT_EQ(Ok(store->GetInstructionsStatus(p.id, ann.id)).acknowledged, v1.version);
  // A claim between a read and the change keeps nothing stale either.
  Ok(store->AddWorkforceMember(team.id, ann.id));
  EXPECT_TRUE(Ok(store->IsMember(p.id, ann.id)));
  ASSERT_TRUE(Ok(store->ClaimNextTask(p.id, ann.id, 3)));
  EXPECT_TRUE(Ok(store->IsMember(p.id, ann.id)));
  Ok(store->RevokeProjectAccess(p.id, team.id));
  EXPECT_FALSE(Ok(store->IsMember(p.id, ann.id)));
  Ok(store->DeleteProject(p.id));
  EXPECT_EQ(store->GetProject(p.id).status().code(), StatusCode::kNotFound);
}

// Another process's change to a kept answer shows within the store's ttl
// (one second): a server beside `plumb` commands on its database.
TEST_F(SqliteStoreTest, AnotherProcessConfigurationChangeShowsWithinASecond) {
  auto store = OpenStore();
  auto other = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_NE(other, nullptr);
  User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
  Project p = AddPlainProject(*store, owner.id, "p", /*overlap=*/1, /*tasks=*/1);
  EXPECT_EQ(Ok(store->GetProject(p.id)).name, "p");
  Ok(other->UpdateProject(p.id, {.name = std::string("renamed elsewhere")}));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  std::string name;
  while (std::chrono::steady_clock::now() < deadline) {
    name = Ok(store->GetProject(p.id)).name;
    if (name == "renamed elsewhere") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(name, "renamed elsewhere");
}

// The writer commits without checkpointing; the checkpointer copies the WAL
// beside it, and once the WAL is long has the writer start it over
// (wal_checkpointer.h). So under steady writes the WAL file stops growing,
// and nothing written is lost when it starts over.
TEST_F(SqliteStoreTest, TheWalStartsOverUnderSteadyWrites) {
  // A round writes ~18 frames. The writer's catch-up gives way to the
  // thread when more than kCheckpointPages frames wait, so these span a few
  // rounds: a thread slowed by a busy machine still lets the WAL start over.
  // 4 * kRestartPages frames stay under SQLite's own 1,000-page limit.
  constexpr int kCheckpointPages = 64;
  constexpr int kRestartPages = 192;
  constexpr int kRounds = 600;
  auto store = Ok(OpenSqliteStore(path_, {.reader_connections = 2,
                                          .checkpoint_pages = kCheckpointPages,
                                          .wal_restart_pages = kRestartPages}));
  User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
  Project p = AddPlainProject(*store, owner.id, "p", /*overlap=*/1, /*tasks=*/kRounds);
  User annotator = Ok(store->CreateUser("annotator", "h", Role::kAnnotator, 1));
  Ok(store->AddMember(p.id, annotator.id));
  const std::string wal = path_ + "-wal";
  const uintmax_t before = std::filesystem::file_size(wal);
  for (int i = 0; i < kRounds; ++i) {
    auto claim = Ok(store->ClaimNextTask(p.id, annotator.id, 1));
    ASSERT_TRUE(claim.has_value()) << "round " << i;
    Ok(store->AppendRevision({.task_id = claim->task.id,
                              .user_id = annotator.id,
                              .lease_id = claim->lease.id,
                              .result_json = "[]"},
                             1));
  }
  // Each round adds several pages to the WAL: one that never started over
  // would hold thousands of frames by now, and SQLite's own checkpoints
  // (at 1,000 pages) would let it reach about 4 MB.
  constexpr uintmax_t kFrameBytes = 4096 + 24;
  const uintmax_t after = std::filesystem::file_size(wal);
  EXPECT_LE(after, std::max<uintmax_t>(before, 4 * kRestartPages * kFrameBytes))
      << "before the rounds: " << before << " bytes";
  auto raw = Raw();
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM revisions"),
            std::vector<std::string>{std::to_string(kRounds)});
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(Ok(store->CountTasks(p.id)).done, kRounds);
}

// Fills a project with tasks in every state, annotations, revisions, a skip
// and live leases.
int64_t AddBusyProject(Store& store, int64_t owner_id, const std::string& tag) {
  Project p = AddPlainProject(store, owner_id, tag, /*overlap=*/2, /*tasks=*/10'000);
  for (int u = 0; u < 3; ++u) {
    User user = Ok(store.CreateUser(tag + std::to_string(u), "h", Role::kAnnotator, 1));
    Ok(store.AddMember(p.id, user.id));
    for (int i = 0; i < 5; ++i) {
      auto claim = Ok(store.ClaimNextTask(p.id, user.id, 1));
      NewRevision rev{.task_id = claim->task.id,
                      .user_id = user.id,
                      .lease_id = claim->lease.id,
                      .result_json = "[]"};
      Ok(store.AppendRevision(rev, 1));
    }
    auto claim = Ok(store.ClaimNextTask(p.id, user.id, 1));
    Ok(store.SkipTask(claim->task.id, user.id, claim->lease.id, 1));
    Ok(store.ClaimNextTask(p.id, user.id, 1));
  }
  return p.id;
}

TEST_F(SqliteStoreTest, DeleteProjectLeavesNoRowsOrDanglingKeys) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
  int64_t doomed = AddBusyProject(*store, owner.id, "d");
  int64_t kept = AddBusyProject(*store, owner.id, "k");
  Ok(store->DeleteProject(doomed));
  auto raw = Raw();
  EXPECT_TRUE(Column(*raw, "PRAGMA foreign_key_check").empty());
  const std::string id = std::to_string(doomed);
  for (const std::string& sql : std::vector<std::string>{
           "SELECT COUNT(*) FROM projects WHERE id = " + id,
           "SELECT COUNT(*) FROM project_members WHERE project_id = " + id,
           "SELECT COUNT(*) FROM tasks WHERE project_id = " + id,
           "SELECT COUNT(*) FROM leases WHERE project_id = " + id,
           "SELECT COUNT(*) FROM annotations WHERE project_id = " + id,
           "SELECT COUNT(*) FROM revisions WHERE annotation_id NOT IN (SELECT id FROM annotations)",
           "SELECT COUNT(*) FROM skips WHERE task_id NOT IN (SELECT id FROM tasks)",
       }) {
    EXPECT_EQ(Column(*raw, sql), std::vector<std::string>{"0"}) << sql;
  }
  // Two of its three annotators shared tasks 1-5 (overlap 2), the third took 6-10.
  TaskCounts counts = Ok(store->CountTasks(kept));
  EXPECT_EQ(counts.total, 10'000);
  EXPECT_EQ(counts.done, 5);
  EXPECT_EQ(counts.annotating, 5);
}

TEST_F(SqliteStoreTest, OpenFinishesAnInterruptedProjectDeletion) {
  int64_t doomed = 0;
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    User owner = Ok(store->CreateUser("owner", "h", Role::kManager, 1));
    doomed = AddBusyProject(*store, owner.id, "d");
  }
  {
    // What a process that died right after DeleteProject's first commit left.
    auto raw = Raw();
    Ok(raw->Exec("UPDATE projects SET deleted = 1 WHERE id = " + std::to_string(doomed)));
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto raw = Raw();
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM tasks"), std::vector<std::string>{"0"});
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM projects"), std::vector<std::string>{"0"});
}

// The queue's speed rests on these plans: a regression here turns a claim
// from one index probe into a scan and sort of the project.
TEST_F(SqliteStoreTest, HotQueriesUseTheirIndexesWithoutSorting) {
  ASSERT_NE(OpenStore(), nullptr);
  auto raw = Raw();
  struct Case {
    const char* sql;
    const char* index;
  };
  const Case cases[] = {
      {"SELECT t.id FROM tasks t INDEXED BY tasks_queue WHERE t.project_id = 1"
       " AND t.open_slots > 0 AND NOT EXISTS (SELECT 1 FROM annotations a"
       " WHERE a.task_id = t.id AND a.user_id = 2) AND NOT EXISTS (SELECT 1 FROM skips k"
       " WHERE k.task_id = t.id AND k.user_id = 2) AND (t.routed = 0 OR EXISTS (SELECT 1"
       " FROM batch_workforces bw JOIN workforce_members wm ON wm.workforce_id = bw.workforce_id"
       " WHERE bw.batch_id = t.batch_id AND wm.user_id = 2))"
       " ORDER BY t.priority DESC, t.deadline IS NULL, t.deadline, t.id LIMIT 1",
       "tasks_queue"},
      {"SELECT t.id FROM tasks t INDEXED BY tasks_adjudicating WHERE t.project_id = 1"
       " AND t.state = 4"
       " AND NOT EXISTS (SELECT 1 FROM review_leases l WHERE l.task_id = t.id AND l.active = 1)"
       " ORDER BY t.priority DESC, t.id LIMIT 1",
       "tasks_adjudicating"},
      {"SELECT id FROM deliveries WHERE state = 0 AND next_attempt_at <= 5"
       " ORDER BY next_attempt_at, id LIMIT 16",
       "deliveries_due"},
      {"UPDATE leases SET active = 0 WHERE project_id = 1 AND active = 1 AND expires_at <= 5"
       " RETURNING task_id",
       "leases_expiry"},
      {"SELECT id FROM leases WHERE project_id = 1 AND user_id = 2 AND active = 1",
       "leases_holder"},
      {"SELECT t.id FROM tasks t INDEXED BY tasks_by_state WHERE t.project_id = 1 AND t.state = 2"
       " AND t.id > 7 ORDER BY t.id LIMIT 51",
       "tasks_by_state"},
      {"SELECT t.id FROM tasks t INDEXED BY tasks_by_state WHERE t.project_id = 1 AND t.state = 0"
       " AND t.id > 7 UNION ALL SELECT t.id FROM tasks t INDEXED BY tasks_by_state"
       " WHERE t.project_id = 1 AND t.state = 1 AND t.id > 7 UNION ALL SELECT t.id FROM tasks t"
       " INDEXED BY tasks_by_state WHERE t.project_id = 1 AND t.state = 2 AND t.id > 7"
       " ORDER BY 1 LIMIT 51",
       "MERGE (UNION ALL)"},
      {"SELECT t.id FROM annotations a JOIN tasks t ON t.id = a.task_id WHERE a.project_id = 1"
       " AND a.user_id = 2 AND a.task_id > 7 ORDER BY a.task_id LIMIT 51",
       "annotations_by_annotator"},
  };
  for (const Case& c : cases) {
    // EXPLAIN QUERY PLAN yields (id, parent, notused, detail): read detail.
    std::string plan;
    auto stmt = Ok(raw->Prepare(std::string("EXPLAIN QUERY PLAN ") + c.sql));
    while (Ok(stmt.Step())) plan += stmt.Text(3) + "\n";
    EXPECT_NE(plan.find(c.index), std::string::npos) << c.sql << "\n" << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << c.sql << "\n" << plan;
    EXPECT_EQ(plan.find("SCAN t\n"), std::string::npos) << c.sql << "\n" << plan;
  }
}

}  // namespace
}  // namespace plumb::store
