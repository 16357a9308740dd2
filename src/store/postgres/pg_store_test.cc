// The conformance suite on PostgreSQL, plus what only this backend has to
// get right: several servers on one database, migrations raced by servers
// starting at once, lost connections, jsonb's limits, and dumps that cross
// backends. Runs on the throw-away cluster ctest starts (see pg_test_db.h).

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "store/backend_common.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_migrations.h"
#include "store/postgres/pg_test_db.h"
#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

using postgres::PgConnection;
using postgres::PgResult;

Result<std::unique_ptr<Store>> OpenPostgresDatabase(const std::string& url) {
  return OpenPostgresStore(url, {.connections = 8});
}

INSTANTIATE_TEST_SUITE_P(Postgres, StoreConformanceTest,
                         ::testing::Values(StoreBackend{"Postgres", CreateTestDatabase,
                                                        OpenPostgresDatabase, DropTestDatabase}),
                         BackendName);

// --- the libpq layer's text handling -----------------------------------------------

TEST(PostgresTextTest, CompactJsonbDropsBlanksOutsideStringsOnly) {
  struct Case {
    const char* jsonb;
    const char* compact;
  };
  const Case cases[] = {
      {R"({"a": 1, "b": [1, 2]})", R"({"a":1,"b":[1,2]})"},
      {R"(["a b", "c, d: e"])", R"(["a b","c, d: e"])"},
      {R"({"q\" x": "y \\", "z": " "})", R"({"q\" x":"y \\","z":" "})"},
      {R"("")", R"("")"},
      {"[]", "[]"},
      {R"({"é 🙂": null})", R"({"é 🙂":null})"},
  };
  for (const Case& c : cases) EXPECT_EQ(postgres::CompactJsonb(c.jsonb), c.compact) << c.jsonb;
}

TEST(PostgresTextTest, CopyFieldsEscapeWhatTheTextFormatReserves) {
  struct Case {
    std::string value;
    std::string field;
  };
  const Case cases[] = {
      {"plain", "plain"},
      {"a\tb", "a\\tb"},
      {"a\nb\r", "a\\nb\\r"},
      {"back\\slash", "back\\\\slash"},
      {"\\.", "\\\\."},  // never the end-of-data marker
      {"\\N", "\\\\N"},  // never NULL
      {"", ""},
  };
  for (const Case& c : cases) {
    std::string row = "x";
    postgres::AppendCopyField(row, c.value);
    EXPECT_EQ(row, "x" + c.field) << c.value;
  }
}

// --- the backend ---------------------------------------------------------------------

class PostgresStoreTest : public ::testing::Test {
 protected:
  static constexpr int64_t kT0 = 1'700'000'000'000;

  void SetUp() override { url_ = CreateTestDatabase(); }
  void TearDown() override { DropTestDatabase(url_); }

  std::unique_ptr<Store> Open(int connections = 4) {
    return Ok(OpenPostgresStore(url_, {.connections = connections}));
  }

  // Stores on one database, as several servers have.
  std::vector<std::unique_ptr<Store>> OpenServers(int n, int connections) {
    std::vector<std::unique_ptr<Store>> servers;
    for (int i = 0; i < n; ++i) servers.push_back(Open(connections));
    return servers;
  }

  // A connection of the test's own, beside the store's.
  std::unique_ptr<PgConnection> Raw(const std::string& url = "") {
    return Ok(PgConnection::Connect(url.empty() ? url_ : url));
  }

  // The first column of every row, as text.
  std::vector<std::string> Column(PgConnection& c, const std::string& sql) {
    std::vector<std::string> out;
    PgResult r = Ok(c.Query(sql));
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.row(i).Text(0));
    return out;
  }

  // Tasks whose queue bookkeeping disagrees with their leases and
  // annotations (see the migrations); none when no update was lost.
  std::vector<std::string> InconsistentTasks(PgConnection& c) {
    return Column(c,
                  "SELECT t.id FROM tasks t JOIN projects p ON p.id = t.project_id"
                  " WHERE t.lease_count <> (SELECT COUNT(*) FROM leases l"
                  "   WHERE l.task_id = t.id AND l.active = 1 AND l.counted = 1)"
                  " OR t.annotation_count <> (SELECT COUNT(*) FROM annotations a"
                  "   WHERE a.task_id = t.id AND a.kind = 0)"
                  " OR t.rejected_count <> (SELECT COUNT(*) FROM annotations a"
                  "   WHERE a.task_id = t.id AND a.rejected = 1)"
                  " OR t.open_slots <> CASE WHEN t.state IN (0, 1) AND t.golden = 0"
                  "   AND t.rejected_count = 0"
                  "   THEN (p.settings_json->>'overlap')::integer - t.annotation_count"
                  "   - t.lease_count ELSE 0 END");
  }

  Project AddProject(Store& store, int32_t overlap, int tasks) {
    User owner = Ok(store.CreateUser("owner", "h", Role::kManager, kT0));
    Project p = Ok(store.CreateProject(
        {.name = "p", .schema_json = "{}", .settings = {overlap, 60}, .created_by = owner.id},
        kT0));
    auto writer = Ok(store.BeginImport(p.id, kT0));
    if (writer == nullptr) return p;
    for (int i = 0; i < tasks; ++i) {
      Ok(writer->Add({.data_json = "{\"n\":" + std::to_string(i) + "}", .priority = i % 3}));
    }
    Ok(writer->Commit());
    return p;
  }

  // Every task id of the project, in id order.
  static std::vector<int64_t> ListIdsOf(Store& store, int64_t project_id) {
    std::vector<int64_t> ids;
    for (const Task& t : Ok(store.ListTasks({.project_id = project_id, .limit = 1000})).items) {
      ids.push_back(t.id);
    }
    return ids;
  }

  std::string url_;
};

TEST_F(PostgresStoreTest, OpenAppliesEveryMigrationOnce) {
  for (int round = 0; round < 2; ++round) {
    ASSERT_NE(Open(), nullptr);
    auto raw = Raw();
    ASSERT_NE(raw, nullptr);
    std::vector<std::string> versions =
        Column(*raw, "SELECT version FROM schema_migrations ORDER BY version");
    ASSERT_EQ(versions.size(), postgres::Migrations().size());
    EXPECT_EQ(versions.back(), std::to_string(postgres::Migrations().size()));
  }
}

TEST_F(PostgresStoreTest, ServersStartingAtOnceMigrateOnce) {
  constexpr int kServers = 4;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string url = CreateTestDatabase();
    std::atomic<int> failures{0};
    std::vector<std::thread> servers;
    for (int i = 0; i < kServers; ++i) {
      servers.emplace_back([&] {
        auto store = OpenPostgresStore(url, {.connections = 1});
        if (!store.ok()) {
          ADD_FAILURE() << store.status().ToString();
          ++failures;
        }
      });
    }
    for (std::thread& t : servers) t.join();
    EXPECT_EQ(failures.load(), 0);
    auto raw = Raw(url);
    ASSERT_NE(raw, nullptr);
    EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM schema_migrations"),
              std::vector<std::string>{std::to_string(postgres::Migrations().size())});
    raw.reset();
    DropTestDatabase(url);
  }
}

TEST_F(PostgresStoreTest, RefusesADatabaseFromANewerBuild) {
  ASSERT_NE(Open(), nullptr);
  Ok(Raw()->Exec("INSERT INTO schema_migrations (version) VALUES (1000)"));
  auto store = OpenPostgresStore(url_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

TEST_F(PostgresStoreTest, OpenStoreTakesBothUrlSchemes) {
  const std::string rest = url_.substr(url_.find("://"));
  for (const char* scheme : {"postgresql", "postgres"}) {
    auto store = OpenStore(std::string(scheme) + rest);
    ASSERT_TRUE(store.ok()) << scheme << ": " << store.status().ToString();
    EXPECT_EQ(Ok((*store)->CountUsers()), 0);
  }
}

TEST_F(PostgresStoreTest, UnreachableServerIsInternal) {
  auto store = OpenPostgresStore("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

// Two Store objects are two servers: they share nothing but the database.
TEST_F(PostgresStoreTest, TwoServersClaimingAtOnceHandEachSlotOnce) {
  constexpr int kServers = 2;
  constexpr int kThreadsPerServer = 16;
  constexpr int kTasks = 500;
  constexpr int kOverlap = 2;
  std::vector<std::unique_ptr<Store>> servers = OpenServers(kServers, kThreadsPerServer);
  ASSERT_NE(servers[1], nullptr);
  Project p = AddProject(*servers[0], kOverlap, kTasks);
  std::vector<User> users;
  for (int i = 0; i < kServers * kThreadsPerServer; ++i) {
    users.push_back(
        Ok(servers[0]->CreateUser("w" + std::to_string(i), "h", Role::kAnnotator, kT0)));
  }

  std::atomic<int> errors{0};
  std::vector<std::vector<int64_t>> done(users.size());  // task ids, per user
  std::vector<std::thread> threads;
  for (size_t i = 0; i < users.size(); ++i) {
    threads.emplace_back([&, i] {
      Store& store = *servers[i % kServers];
      const int64_t user_id = users[i].id;
      while (true) {
        auto claim = store.ClaimNextTask(p.id, user_id, kT0);
        if (!claim.ok()) {
          ADD_FAILURE() << claim.status().ToString();
          ++errors;
          return;
        }
        if (!*claim) return;
        if ((*claim)->existing_lease) {
          ADD_FAILURE() << "user " << user_id << " was handed a lease twice";
          ++errors;
        }
        NewRevision rev{.task_id = (*claim)->task.id,
                        .user_id = user_id,
                        .lease_id = (*claim)->lease.id,
                        .result_json = "[]"};
        auto submitted = store.AppendRevision(rev, kT0);
        if (!submitted.ok()) {
          ADD_FAILURE() << submitted.status().ToString();
          ++errors;
          return;
        }
        done[i].push_back(rev.task_id);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);

  std::map<int64_t, std::set<int64_t>> annotators;
  size_t submitted = 0;
  for (size_t i = 0; i < users.size(); ++i) {
    submitted += done[i].size();
    for (int64_t task : done[i]) {
      EXPECT_TRUE(annotators[task].insert(users[i].id).second)
          << "task " << task << " went to user " << users[i].id << " twice";
    }
  }
  EXPECT_EQ(submitted, static_cast<size_t>(kTasks * kOverlap));
  EXPECT_EQ(annotators.size(), static_cast<size_t>(kTasks));
  ExpectEachTaskDoneByDistinctPeople(*servers[1], p.id, kOverlap, kTasks);
  auto raw = Raw();
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM leases"), std::vector<std::string>{"0"});
}

// Every server's claims see the expired leases at once; each is released
// (and its slot given back) once.
TEST_F(PostgresStoreTest, ExpiredLeasesAreReleasedOnceAcrossServers) {
  constexpr int kUsers = 24;
  constexpr int kTasks = 40;
  std::vector<std::unique_ptr<Store>> servers = OpenServers(2, kUsers / 2);
  ASSERT_NE(servers[1], nullptr);
  Project p = AddProject(*servers[0], 2, kTasks);
  std::vector<User> users;
  for (int i = 0; i < kUsers; ++i) {
    users.push_back(
        Ok(servers[0]->CreateUser("w" + std::to_string(i), "h", Role::kAnnotator, kT0)));
    ASSERT_TRUE(Ok(servers[0]->ClaimNextTask(p.id, users.back().id, kT0)));
  }
  const int64_t later = kT0 + 60'000;  // every lease above has expired
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kUsers; ++i) {
    threads.emplace_back([&, i] {
      auto claim = servers[i % 2]->ClaimNextTask(p.id, users[i].id, later);
      if (!claim.ok() || !*claim || (*claim)->existing_lease) ++errors;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  auto raw = Raw();
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM leases WHERE active = 0"),
            std::vector<std::string>{std::to_string(kUsers)});
  EXPECT_EQ(Column(*raw, "SELECT SUM(lease_count) FROM tasks"),
            std::vector<std::string>{std::to_string(kUsers)});
}

TEST_F(PostgresStoreTest, ALostConnectionIsReplacedByTheNextCall) {
  auto store = Open(2);
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 1, 10);
  User alice = Ok(store->CreateUser("alice", "h", Role::kAnnotator, kT0));
  auto admin = Raw(TestClusterAdminUrl());
  ASSERT_NE(admin, nullptr);
  const std::string kill =
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
      " WHERE datname = '" +
      url_.substr(url_.rfind('/') + 1) + "' AND pid <> pg_backend_pid()";
  // Idle connections the server dropped: every kind of call goes on.
  struct Case {
    const char* name;
    std::function<Status()> call;
  };
  const Case cases[] = {
      {"read", [&] { return store->GetUser(alice.id).status(); }},
      {"write", [&] { return store->CreateSession("s", alice.id, kT0 + 1000); }},
      {"claim", [&] { return store->ClaimNextTask(p.id, alice.id, kT0).status(); }},
      {"snapshot", [&] { return store->GetProgress(p.id, alice.id).status(); }},
      {"export",
       [&] {
         return store->ForEachTaskWithAnnotations(
             p.id, [](const Task&, const std::vector<Revision>&) { return Status::Ok(); });
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Ok(admin->Query(kill).status());
    // Whether the server has closed the socket yet or not, nothing ran on
    // it, so the call is run again on a new connection and succeeds.
    Ok(c.call());
  }
  EXPECT_EQ(Ok(store->UserForSession("s", kT0)).id, alice.id);

  // Lost in the middle of an import: that import fails, the next one works.
  auto writer = Ok(store->BeginImport(p.id, kT0));
  ASSERT_NE(writer, nullptr);
  Ok(writer->Add({.data_json = "{}"}));
  Ok(admin->Query(kill).status());
  Status lost = writer->Commit().status();
  EXPECT_EQ(lost.code(), StatusCode::kInternal) << lost.ToString();
  writer = Ok(store->BeginImport(p.id, kT0));
  ASSERT_NE(writer, nullptr);
  Ok(writer->Add({.data_json = "{}"}));
  EXPECT_EQ(Ok(writer->Commit()), 1);
  EXPECT_EQ(Ok(store->CountTasks(p.id)).total, 11);
}

TEST_F(PostgresStoreTest, JsonWithNulCharactersIsInvalidArgument) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 1, 1);
  User alice = Ok(store->CreateUser("alice", "h", Role::kAnnotator, kT0));
  {
    auto writer = Ok(store->BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    Status bad = writer->Add({.data_json = R"({"t":"a\u0000b"})"});
    EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(bad.field(), "data");
    // An escaped backslash before "u0000" is just text.
    Ok(writer->Add({.data_json = R"({"t":"a\\u0000b"})"}));
    EXPECT_EQ(Ok(writer->Commit()), 1);
  }
  auto claim = Ok(store->ClaimNextTask(p.id, alice.id, kT0));
  ASSERT_TRUE(claim);
  NewRevision rev{.task_id = claim->task.id,
                  .user_id = alice.id,
                  .lease_id = claim->lease.id,
                  .result_json = R"(["\u0000"])"};
  auto appended = store->AppendRevision(rev, kT0);
  EXPECT_EQ(appended.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(appended.status().field(), "result");
  auto project = store->CreateProject(
      {.name = "x", .schema_json = R"({"\u0000":1})", .settings = {1, 60}, .created_by = alice.id},
      kT0);
  EXPECT_EQ(project.status().code(), StatusCode::kInvalidArgument);
  // Text the server refuses (invalid UTF-8) is bad input too, not a failure.
  EXPECT_EQ(store->CreateUser("\xff\xfe", "h", Role::kAnnotator, kT0).status().code(),
            StatusCode::kInvalidArgument);
  rev.result_json = "[]";
  Ok(store->AppendRevision(rev, kT0));
}

// COPY reports a refused row when it ends: the import fails as a whole, and
// the writer cannot be committed after all.
TEST_F(PostgresStoreTest, ATaskTheServerRefusesFailsTheWholeImport) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 1, 0);
  auto writer = Ok(store->BeginImport(p.id, kT0));
  ASSERT_NE(writer, nullptr);
  for (int i = 0; i < 1000; ++i) Ok(writer->Add({.data_json = "{}"}));
  Ok(writer->Add({.data_json = R"({"n": 1e999999})"}));  // beyond numeric's range
  for (int i = 0; i < 1000; ++i) (void)writer->Add({.data_json = "{}"});
  auto committed = writer->Commit();
  EXPECT_EQ(committed.status().code(), StatusCode::kInvalidArgument)
      << committed.status().ToString();
  EXPECT_FALSE(writer->Commit().ok());
  writer.reset();
  EXPECT_EQ(Ok(store->CountTasks(p.id)).total, 0);
  // The connection is fit for the next import.
  writer = Ok(store->BeginImport(p.id, kT0));
  ASSERT_NE(writer, nullptr);
  Ok(writer->Add({.data_json = "{}"}));
  EXPECT_EQ(Ok(writer->Commit()), 1);
}

// The claim must stay one index probe as the queue grows: a plan that sorts
// or scans the project's tasks would make it linear in the project's size.
TEST_F(PostgresStoreTest, TheClaimReadsTheQueueIndex) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 1, 20'000);
  auto raw = Raw();
  Ok(raw->Exec("ANALYZE"));
  std::string plan;
  for (const std::string& line : Column(
           *raw, "EXPLAIN SELECT t.id FROM tasks t WHERE t.project_id = " + std::to_string(p.id) +
                     " AND t.open_slots > 0 AND t.golden = 0"
                     " AND NOT EXISTS (SELECT 1 FROM annotations a"
                     " WHERE a.task_id = t.id AND a.user_id = 2)"
                     " AND NOT EXISTS (SELECT 1 FROM skips k"
                     " WHERE k.task_id = t.id AND k.user_id = 2)"
                     " AND (t.routed = 0 OR EXISTS (SELECT 1 FROM batch_workforces bw"
                     " JOIN workforce_members wm ON wm.workforce_id = bw.workforce_id"
                     " WHERE bw.batch_id = t.batch_id AND wm.user_id = 2))"
                     " ORDER BY t.priority DESC, t.deadline ASC NULLS LAST, t.id"
                     " LIMIT 1 FOR UPDATE OF t SKIP LOCKED")) {
    plan += line + "\n";
  }
  EXPECT_NE(plan.find("tasks_queue"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Sort"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan on tasks"), std::string::npos) << plan;
}

// JSON columns compared by content: jsonb keeps neither key order nor blanks.
std::vector<DumpedRow> NormalizeJson(std::vector<DumpedRow> rows) {
  static const std::set<std::string> kJsonColumns = {"schema_json", "settings_json", "data",
                                                     "result",      "media",         "result_json"};
  for (DumpedRow& row : rows) {
    for (size_t i = 0; i < row.columns.size(); ++i) {
      if (kJsonColumns.count(row.columns[i]) > 0 && row.values[i]) {
        row.values[i] = nlohmann::json::parse(*row.values[i]).dump();
      }
    }
  }
  return rows;
}

// --- the workflow across servers ---------------------------------------------------------

class PostgresWorkflowTest : public PostgresStoreTest {
 protected:
  // A project of `overlap` with `tasks` tasks in one batch (with a callback)
  // and a webhook subscribed to every event; returns the batch.
  Batch AddBatchProject(Store& store, int32_t overlap, int tasks, Project* project) {
    *project = AddProject(store, overlap, 0);
    Ok(store.CreateWebhook({.project_id = project->id,
                            .url = "http://hooks.test/all",
                            .events = {"task.completed", "batch.completed", "review.rejected"}},
                           "webhook-secret", kT0));
    auto writer = Ok(store.BeginImport(project->id, kT0));
    if (writer == nullptr) return {};
    Batch batch = Ok(writer->AddBatch({.name = "b",
                                       .callback_url = "http://client.test/done",
                                       .callback_secret = "callback-secret"}));
    for (int i = 0; i < tasks; ++i) {
      Ok(writer->Add({.data_json = "{\"n\":" + std::to_string(i) + "}", .batch_id = batch.id}));
    }
    Ok(writer->Commit());
    return batch;
  }

  std::vector<User> AddUsers(Store& store, const std::string& prefix, int n, Role role) {
    std::vector<User> users;
    for (int i = 0; i < n; ++i) {
      users.push_back(Ok(store.CreateUser(prefix + std::to_string(i), "h", role, kT0)));
    }
    return users;
  }

  // Claims and submits with `hooks` until the user gets no more tasks.
  static void AnnotateAll(Store& store, int64_t project_id, int64_t user_id,
                          const RevisionHooks* hooks, std::atomic<int>& errors) {
    while (true) {
      auto claim = store.ClaimNextTask(project_id, user_id, kT0);
      if (!claim.ok()) {
        ADD_FAILURE() << claim.status().ToString();
        ++errors;
        return;
      }
      if (!*claim) return;
      NewRevision rev{.task_id = (*claim)->task.id,
                      .user_id = user_id,
                      .lease_id = (*claim)->lease.id,
                      .result_json = "[{\"by\":" + std::to_string(user_id) + "}]",
                      .hooks = hooks};
      auto submitted = store.AppendRevision(rev, kT0);
      if (!submitted.ok()) {
        ADD_FAILURE() << submitted.status().ToString();
        ++errors;
        return;
      }
    }
  }

  // Something of every workflow table: a batch with a callback, a webhook
  // and its deliveries (one delivered), a workforce with access, a golden
  // task graded, tasks in review, rejected and fixed, and a live review
  // lease. Returns the batch.
  Batch PopulateWorkflow(Store& store) {
    Project p;
    Batch batch = AddBatchProject(store, 1, 4, &p);
    User a = Ok(store.CreateUser("a", "h", Role::kAnnotator, kT0));
    User r = Ok(store.CreateUser("r", "h", Role::kReviewer, kT0));
    Workforce w = Ok(store.CreateWorkforce(
        {.name = "w", .pricing = {.model = PricingModel::kPerHour, .rate = 12.5}}, kT0));
    Ok(store.AddWorkforceMember(w.id, a.id));
    Ok(store.GrantProjectAccess(p.id, w.id));
    const std::vector<int64_t> ids = ListIdsOf(store, p.id);
    if (ids.size() != 4) {
      ADD_FAILURE() << "the batch has " << ids.size() << " tasks";
      return batch;
    }
    Ok(store.SetGoldenAnswer(ids[3], GoldenAnswer{"[{\"v\":1}]", "{\"width\":3}"}));
    RevisionHooks hooks;
    hooks.complete = [](const CompletionInput& input) -> Result<Completion> {
      Completion c = DefaultCompletion(input);
      c.state = TaskState::kReviewing;
      c.label.agreement = 0.75;
      return c;
    };
    hooks.grade = [](const GoldenAnswer&, const Revision&) -> Result<GoldenGrade> {
      return GoldenGrade{.score = 0.5};
    };
    std::atomic<int> errors{0};
    AnnotateAll(store, p.id, a.id, &hooks, errors);
    EXPECT_EQ(errors.load(), 0);
    if (auto golden = Ok(store.ClaimGoldenTask(p.id, a.id, kT0))) {
      Ok(store.AppendRevision({.task_id = golden->task.id,
                               .user_id = a.id,
                               .lease_id = golden->lease.id,
                               .result_json = "[]",
                               .hooks = &hooks},
                              kT0));
    } else {
      ADD_FAILURE() << "no golden task";
    }
    for (Store::Decision decision : {Store::Decision::kReject, Store::Decision::kFix}) {
      auto claim = Ok(store.ClaimReviewTask(p.id, r.id, std::nullopt, kT0));
      if (!claim) {
        ADD_FAILURE() << "nothing to review";
        continue;
      }
      Ok(store.RecordReview({.task_id = claim->task.id,
                             .reviewer_id = r.id,
                             .lease_id = claim->lease.id,
                             .decision = decision,
                             .comment = "c",
                             .label = GoldenAnswer{"[{\"fixed\":1}]", ""}},
                            kT0));
    }
    EXPECT_TRUE(Ok(store.ClaimReviewTask(p.id, r.id, std::nullopt, kT0)));  // held on
    for (const Store::Delivery& d : Ok(store.ClaimDueDeliveries(kT0, 1, 1000))) {
      Ok(store.RecordDeliveryAttempt(
          {.delivery_id = d.id, .at_ms = kT0, .status = 204, .delivered = true}));
    }
    return batch;
  }

  // The tables of `rows`.
  static std::set<std::string> Tables(const std::vector<DumpedRow>& rows) {
    std::set<std::string> tables;
    for (const DumpedRow& row : rows) tables.insert(row.table);
    return tables;
  }

  std::string One(PgConnection& c, const std::string& sql) {
    std::vector<std::string> column = Column(c, sql);
    return column.empty() ? "" : column.front();
  }
};

// Annotators on two servers finish a batch's tasks at once: each task is
// completed once (one final label, one task.completed), the batch's done
// counter is exact, and exactly one transaction writes batch.completed.
TEST_F(PostgresWorkflowTest, TwoServersCompleteEachTaskOnceAndCountTheBatchExactly) {
  constexpr int kServers = 2;
  constexpr int kUsersPerServer = 6;
  constexpr int kTasks = 80;
  constexpr int kOverlap = 3;
  std::vector<std::unique_ptr<Store>> servers = OpenServers(kServers, kUsersPerServer);
  ASSERT_NE(servers[1], nullptr);
  Project p;
  Batch batch = AddBatchProject(*servers[0], kOverlap, kTasks, &p);
  std::vector<User> users =
      AddUsers(*servers[0], "w", kServers * kUsersPerServer, Role::kAnnotator);

  std::atomic<int> bad_inputs{0};
  RevisionHooks hooks;
  hooks.complete = [&](const CompletionInput& input) -> Result<Completion> {
    std::set<int64_t> people;
    for (const Revision& r : input.current) people.insert(r.user_id);
    if (input.current.size() != kOverlap || people.size() != kOverlap || input.after_rework) {
      ++bad_inputs;
    }
    Completion c = DefaultCompletion(input);
    c.label.method = "majority";
    c.label.agreement = 0.5;
    return c;
  };
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < users.size(); ++i) {
    threads.emplace_back(
        [&, i] { AnnotateAll(*servers[i % kServers], p.id, users[i].id, &hooks, errors); });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(bad_inputs.load(), 0);

  ExpectEachTaskDoneByDistinctPeople(*servers[1], p.id, kOverlap, kTasks);
  Batch after = Ok(servers[1]->GetBatch(batch.id));
  EXPECT_EQ(after.total, kTasks);
  EXPECT_EQ(after.done, kTasks);
  EXPECT_EQ(after.completed_at_ms, std::optional<int64_t>(kT0));
  auto raw = Raw();
  const std::string n = std::to_string(kTasks);
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM final_labels WHERE method = 'majority'"), n);
  EXPECT_EQ(One(*raw, "SELECT COUNT(DISTINCT task_id) FROM events WHERE type = 'task.completed'"),
            n);
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM events WHERE type = 'task.completed'"), n);
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM events WHERE type = 'batch.completed'"), "1");
  // One delivery per event to the webhook, and the batch's callback.
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM deliveries WHERE webhook_id IS NOT NULL"),
            std::to_string(kTasks + 1));
  auto callbacks = Ok(servers[0]->ListDeliveries(std::nullopt, batch.id, 10));
  ASSERT_EQ(callbacks.size(), 1u);
  EXPECT_EQ(callbacks[0].event_type, "batch.completed");
  EXPECT_EQ(callbacks[0].url, "http://client.test/done");
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM tasks WHERE state <> 2 OR open_slots <> 0"), "0");
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
  EXPECT_EQ(Column(*raw, "SELECT COUNT(*) FROM leases"), std::vector<std::string>{"0"});
}

// Deliverers on two servers poll at once: each due delivery goes to one of
// them, and a claimed one is not due again until its lock runs out.
TEST_F(PostgresWorkflowTest, TwoServersClaimEachDueDeliveryOnce) {
  constexpr int kTasks = 60;
  constexpr int kThreadsPerServer = 4;
  std::vector<std::unique_ptr<Store>> servers = OpenServers(2, kThreadsPerServer);
  ASSERT_NE(servers[1], nullptr);
  Project p;
  Batch batch = AddBatchProject(*servers[0], 1, kTasks, &p);
  User annotator = Ok(servers[0]->CreateUser("a", "h", Role::kAnnotator, kT0));
  std::atomic<int> errors{0};
  AnnotateAll(*servers[0], p.id, annotator.id, nullptr, errors);
  ASSERT_EQ(errors.load(), 0);
  constexpr int kDeliveries = kTasks + 2;  // task.completed each, batch.completed twice

  std::mutex mu;
  std::vector<int64_t> claimed;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kThreadsPerServer; ++i) {
    threads.emplace_back([&, i] {
      while (true) {
        auto due = servers[i % 2]->ClaimDueDeliveries(kT0 + 1, 3, 60'000);
        if (!due.ok()) {
          ADD_FAILURE() << due.status().ToString();
          return;
        }
        if (due->empty()) return;
        std::lock_guard<std::mutex> lock(mu);
        for (const Store::Delivery& d : *due) {
          claimed.push_back(d.id);
          EXPECT_FALSE(d.secret.empty());
          auto body = nlohmann::json::parse(d.body_json, nullptr, false);
          EXPECT_EQ(body["type"], d.event_type) << d.body_json;
          EXPECT_EQ(body["project_id"], p.id) << d.body_json;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<int64_t> distinct(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kDeliveries));
  EXPECT_TRUE(Ok(servers[1]->ClaimDueDeliveries(kT0 + 59'000, 100, 60'000)).empty());

  // Delivered, failed for good, and retried later.
  const std::vector<int64_t> ids(distinct.begin(), distinct.end());
  Ok(servers[0]->RecordDeliveryAttempt(
      {.delivery_id = ids[0], .at_ms = kT0 + 2, .status = 200, .delivered = true}));
  Ok(servers[0]->RecordDeliveryAttempt(
      {.delivery_id = ids[1], .at_ms = kT0 + 2, .status = 500, .error = "boom"}));
  Ok(servers[0]->RecordDeliveryAttempt({.delivery_id = ids[2],
                                        .at_ms = kT0 + 2,
                                        .error = "timeout",
                                        .next_attempt_at_ms = kT0 + 1000}));
  EXPECT_EQ(servers[0]->RecordDeliveryAttempt({.delivery_id = 999'999}).code(),
            StatusCode::kNotFound);
  auto again = Ok(servers[1]->ClaimDueDeliveries(kT0 + 1000, 100, 60'000));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].id, ids[2]);
  EXPECT_EQ(again[0].attempts, 1);
  EXPECT_EQ(again[0].last_error, "timeout");
  std::map<int64_t, Store::Delivery> by_id;
  auto webhooks = Ok(servers[0]->ListWebhooks(p.id));
  ASSERT_EQ(webhooks.size(), 1u);
  for (const Store::Delivery& d : Ok(servers[0]->ListDeliveries(webhooks[0].id, {}, 1000))) {
    by_id[d.id] = d;
  }
  for (const Store::Delivery& d : Ok(servers[0]->ListDeliveries({}, batch.id, 1000))) {
    by_id[d.id] = d;
  }
  ASSERT_EQ(by_id.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(by_id[ids[0]].state, Store::DeliveryState::kDelivered);
  EXPECT_EQ(by_id[ids[0]].delivered_at_ms, std::optional<int64_t>(kT0 + 2));
  EXPECT_EQ(by_id[ids[1]].state, Store::DeliveryState::kFailed);
  EXPECT_EQ(by_id[ids[1]].last_status, 500);
  EXPECT_EQ(by_id[ids[2]].state, Store::DeliveryState::kPending);
}

// Reviewers on two servers drain a review queue at once: each task is held
// by one reviewer at a time, so each gets exactly one decision.
TEST_F(PostgresWorkflowTest, TwoServersReviewEachTaskOnce) {
  constexpr int kTasks = 40;
  constexpr int kReviewersPerServer = 4;
  std::vector<std::unique_ptr<Store>> servers = OpenServers(2, kReviewersPerServer);
  ASSERT_NE(servers[1], nullptr);
  Project p;
  Batch batch = AddBatchProject(*servers[0], 1, kTasks, &p);
  User annotator = Ok(servers[0]->CreateUser("a", "h", Role::kAnnotator, kT0));
  RevisionHooks to_review;
  to_review.complete = [](const CompletionInput& input) -> Result<Completion> {
    Completion c = DefaultCompletion(input);
    c.state = input.task.id % 2 == 0 ? TaskState::kReviewing : TaskState::kAdjudicating;
    return c;
  };
  std::atomic<int> errors{0};
  AnnotateAll(*servers[0], p.id, annotator.id, &to_review, errors);
  ASSERT_EQ(errors.load(), 0);
  TaskCounts counts = Ok(servers[0]->CountTasks(p.id));
  EXPECT_EQ(counts.reviewing + counts.adjudicating, kTasks);
  // The annotator never reviews their own tasks.
  EXPECT_FALSE(Ok(servers[0]->ClaimReviewTask(p.id, annotator.id, std::nullopt, kT0)));

  std::vector<User> reviewers =
      AddUsers(*servers[0], "r", 2 * kReviewersPerServer, Role::kReviewer);
  std::mutex mu;
  std::map<int64_t, int> decisions;
  std::vector<std::thread> threads;
  for (size_t i = 0; i < reviewers.size(); ++i) {
    threads.emplace_back([&, i] {
      Store& store = *servers[i % 2];
      while (true) {
        auto claim = store.ClaimReviewTask(p.id, reviewers[i].id, std::nullopt, kT0);
        if (!claim.ok() || !*claim) {
          if (!claim.ok()) ADD_FAILURE() << claim.status().ToString();
          return;
        }
        const Task& task = (*claim)->task;
        Store::Review review{
            .task_id = task.id, .reviewer_id = reviewers[i].id, .lease_id = (*claim)->lease.id};
        if (task.state == TaskState::kReviewing) {
          review.decision = Store::Decision::kAccept;
        } else {
          review.decision = Store::Decision::kResolve;
          review.label = GoldenAnswer{"[{\"resolved\":true}]", ""};
        }
        Status recorded = store.RecordReview(review, kT0);
        if (!recorded.ok()) {
          ADD_FAILURE() << recorded.ToString();
          return;
        }
        std::lock_guard<std::mutex> lock(mu);
        ++decisions[task.id];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(decisions.size(), static_cast<size_t>(kTasks));
  for (const auto& [task, n] : decisions) EXPECT_EQ(n, 1) << "task " << task;
  EXPECT_EQ(Ok(servers[1]->CountTasks(p.id)).done, kTasks);
  EXPECT_EQ(Ok(servers[1]->GetBatch(batch.id)).done, kTasks);
  auto raw = Raw();
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM reviews"), std::to_string(kTasks));
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM final_labels WHERE method = 'adjudication'"),
            std::to_string(kTasks / 2));
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM events WHERE type = 'batch.completed'"), "1");
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
}

// Reject sends a task back to each of its annotators (rule rework); their
// new revisions complete it again, after_rework.
TEST_F(PostgresWorkflowTest, ARejectedTaskCompletesAgainAfterItsRework) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p;
  Batch batch = AddBatchProject(*store, 2, 1, &p);
  std::vector<User> annotators = AddUsers(*store, "a", 2, Role::kAnnotator);
  User reviewer = Ok(store->CreateUser("rev", "h", Role::kReviewer, kT0));
  std::vector<bool> reworked;
  RevisionHooks hooks;
  hooks.complete = [&](const CompletionInput& input) -> Result<Completion> {
    reworked.push_back(input.after_rework);
    Completion c = DefaultCompletion(input);
    c.state = input.after_rework ? TaskState::kDone : TaskState::kReviewing;
    return c;
  };
  std::atomic<int> errors{0};
  for (const User& a : annotators) AnnotateAll(*store, p.id, a.id, &hooks, errors);
  ASSERT_EQ(errors.load(), 0);
  auto claim = Ok(store->ClaimReviewTask(p.id, reviewer.id, TaskState::kReviewing, kT0));
  ASSERT_TRUE(claim);
  const int64_t task_id = claim->task.id;
  EXPECT_EQ(claim->task.state, TaskState::kReviewing);
  // The lease is the reviewer's: claiming again hands it back.
  auto again = Ok(store->ClaimReviewTask(p.id, reviewer.id, std::nullopt, kT0));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->existing_lease);
  EXPECT_EQ(again->lease.id, claim->lease.id);
  EXPECT_EQ(store
                ->RecordReview({.task_id = task_id,
                                .reviewer_id = annotators[0].id,
                                .lease_id = claim->lease.id,
                                .decision = Store::Decision::kReject,
                                .comment = "not mine to judge"},
                               kT0)
                .code(),
            StatusCode::kConflict);
  Ok(store->RecordReview({.task_id = task_id,
                          .reviewer_id = reviewer.id,
                          .lease_id = claim->lease.id,
                          .decision = Store::Decision::kReject,
                          .comment = "boxes too loose"},
                         kT0));
  EXPECT_EQ(Ok(store->GetTask(task_id)).state, TaskState::kAnnotating);
  // A used review lease decides nothing more.
  EXPECT_EQ(store
                ->RecordReview({.task_id = task_id,
                                .reviewer_id = reviewer.id,
                                .lease_id = claim->lease.id,
                                .decision = Store::Decision::kAccept},
                               kT0)
                .code(),
            StatusCode::kLeaseExpired);

  User outsider = Ok(store->CreateUser("new", "h", Role::kAnnotator, kT0));
  EXPECT_FALSE(Ok(store->ClaimNextTask(p.id, outsider.id, kT0)));
  for (size_t i = 0; i < annotators.size(); ++i) {
    auto rework = Ok(store->ClaimNextTask(p.id, annotators[i].id, kT0));
    ASSERT_TRUE(rework);
    EXPECT_EQ(rework->rule, ClaimRule::kRework);
    EXPECT_EQ(rework->task.id, task_id);
    // The task waits for this annotator's new revision: no skipping it.
    EXPECT_EQ(store->SkipTask(task_id, annotators[i].id, rework->lease.id, kT0).code(),
              StatusCode::kConflict);
    EXPECT_FALSE(Ok(store->ClaimGoldenTask(p.id, annotators[i].id, kT0)));
    Ok(store->AppendRevision({.task_id = task_id,
                              .user_id = annotators[i].id,
                              .lease_id = rework->lease.id,
                              .result_json = "[{\"tight\":true}]",
                              .hooks = &hooks},
                             kT0 + 1));
    EXPECT_FALSE(Ok(store->ClaimNextTask(p.id, annotators[i].id, kT0 + 1)));
    EXPECT_EQ(Ok(store->GetTask(task_id)).state,
              i + 1 < annotators.size() ? TaskState::kAnnotating : TaskState::kDone);
  }
  EXPECT_EQ(reworked, (std::vector<bool>{false, true}));
  auto notes = Ok(store->ListReviews(task_id));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].reviewer, "rev");
  EXPECT_EQ(notes[0].comment, "boxes too loose");
  EXPECT_EQ(notes[0].decision, Store::Decision::kReject);
  auto labels = Ok(store->FinalLabels({task_id}));
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].result_json, "[{\"tight\":true}]");
  EXPECT_EQ(Ok(store->GetBatch(batch.id)).done, 1);
  auto raw = Raw();
  EXPECT_EQ(Column(*raw, "SELECT type FROM events ORDER BY id"),
            (std::vector<std::string>{"review.rejected", "task.completed", "batch.completed"}));
  EXPECT_EQ(One(*raw, "SELECT COUNT(*) FROM leases"), "0");
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
}

// Golden tasks stay out of the queue, go to each annotator once through
// ClaimGoldenTask, and are graded in the submit's transaction.
TEST_F(PostgresWorkflowTest, GoldenTasksAreServedOnceEachAndGraded) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 1, 0);
  {
    auto writer = Ok(store->BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    Ok(writer->Add({.data_json = "{\"g\":1}", .golden = GoldenAnswer{"[{\"v\":1}]", ""}}));
    Ok(writer->Add({.data_json = "{\"n\":1}", .priority = 5}));
    Ok(writer->Commit());
  }
  const std::vector<int64_t> ids = ListIdsOf(*store, p.id);
  ASSERT_EQ(ids.size(), 2u);
  User a = Ok(store->CreateUser("a", "h", Role::kAnnotator, kT0));
  RevisionHooks hooks;
  hooks.grade = [](const GoldenAnswer& answer, const Revision& rev) -> Result<GoldenGrade> {
    const bool same = answer.result_json == rev.result_json;
    return GoldenGrade{.score = same ? 1.0 : 0.25, .correct = same};
  };
  auto golden = Ok(store->ClaimGoldenTask(p.id, a.id, kT0));
  ASSERT_TRUE(golden);
  EXPECT_EQ(golden->rule, ClaimRule::kGolden);
  EXPECT_EQ(golden->task.id, ids[0]);
  EXPECT_TRUE(golden->task.golden);
  Ok(store->AppendRevision({.task_id = ids[0],
                            .user_id = a.id,
                            .lease_id = golden->lease.id,
                            .result_json = "[{\"v\":2}]",
                            .hooks = &hooks},
                           kT0));
  EXPECT_FALSE(Ok(store->ClaimGoldenTask(p.id, a.id, kT0)));
  EXPECT_EQ(Ok(store->GetTask(ids[0])).state, TaskState::kNew);
  auto grades = Ok(store->ListGoldenGrades(p.id));
  ASSERT_EQ(grades.size(), 1u);
  EXPECT_EQ(grades[0].username, "a");
  EXPECT_EQ(grades[0].score, 0.25);
  EXPECT_FALSE(grades[0].correct);
  // The ordinary queue never offers the golden task.
  auto next = Ok(store->ClaimNextTask(p.id, a.id, kT0));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->task.id, ids[1]);
  Ok(store->AppendRevision(
      {.task_id = ids[1], .user_id = a.id, .lease_id = next->lease.id, .result_json = "[]"}, kT0));
  User b = Ok(store->CreateUser("b", "h", Role::kAnnotator, kT0));
  EXPECT_FALSE(Ok(store->ClaimNextTask(p.id, b.id, kT0)));
  // Made ordinary, it re-enters the queue; the answer is gone.
  Ok(store->SetGoldenAnswer(ids[0], std::nullopt));
  EXPECT_FALSE(Ok(store->GetGoldenAnswer(ids[0])));
  auto ordinary = Ok(store->ClaimNextTask(p.id, b.id, kT0));
  ASSERT_TRUE(ordinary);
  EXPECT_EQ(ordinary->task.id, ids[0]);
  EXPECT_EQ(store->SetGoldenAnswer(999'999, std::nullopt).code(), StatusCode::kNotFound);
  EXPECT_TRUE(InconsistentTasks(*Raw()).empty());
}

// Rework and golden leases hold no slot, so their expiry gives none back:
// the counters stay those of the counted leases.
TEST_F(PostgresWorkflowTest, UncountedLeasesExpireWithoutGivingSlotsBack) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 2, 2);
  const std::vector<int64_t> ids = ListIdsOf(*store, p.id);
  ASSERT_EQ(ids.size(), 2u);
  Ok(store->SetGoldenAnswer(ids[0], GoldenAnswer{"[]", ""}));
  std::vector<User> users = AddUsers(*store, "u", 3, Role::kAnnotator);
  ASSERT_TRUE(Ok(store->ClaimGoldenTask(p.id, users[0].id, kT0)));
  ASSERT_TRUE(Ok(store->ClaimNextTask(p.id, users[1].id, kT0)));
  ASSERT_TRUE(Ok(store->ClaimNextTask(p.id, users[2].id, kT0)));
  auto raw = Raw();
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
  // 60 s leases: all expired; the next claim releases them.
  auto again = Ok(store->ClaimNextTask(p.id, users[0].id, kT0 + 61'000));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->task.id, ids[1]);
  EXPECT_EQ(One(*raw, "SELECT lease_count FROM tasks WHERE id = " + std::to_string(ids[1])), "1");
  EXPECT_EQ(One(*raw, "SELECT lease_count FROM tasks WHERE id = " + std::to_string(ids[0])), "0");
  EXPECT_TRUE(InconsistentTasks(*raw).empty());
}

// A batch routed to a workforce is labeled by its members only; the
// workforce's project access makes them members of the project.
TEST_F(PostgresWorkflowTest, ARoutedBatchGoesToItsWorkforceOnly) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Project p = AddProject(*store, 1, 0);
  User member = Ok(store->CreateUser("vendor-1", "h", Role::kAnnotator, kT0));
  User other = Ok(store->CreateUser("staff-1", "h", Role::kAnnotator, kT0));
  Workforce vendor =
      Ok(store->CreateWorkforce({.name = "vendor", .kind = WorkforceKind::kVendor}, kT0));
  EXPECT_EQ(store->CreateWorkforce({.name = "vendor"}, kT0).status().code(),
            StatusCode::kAlreadyExists);
  Ok(store->AddWorkforceMember(vendor.id, member.id));
  EXPECT_FALSE(Ok(store->IsMember(p.id, member.id)));
  Ok(store->GrantProjectAccess(p.id, vendor.id));
  EXPECT_TRUE(Ok(store->IsMember(p.id, member.id)));
  EXPECT_EQ(Ok(store->ListProjects(member.id)).size(), 1u);
  EXPECT_EQ(Ok(store->ListWorkforceProjects(vendor.id)), std::vector<int64_t>{p.id});
  Ok(store->AddMember(p.id, other.id));
  {
    auto writer = Ok(store->BeginImport(p.id, kT0));
    ASSERT_NE(writer, nullptr);
    EXPECT_EQ(writer->AddBatch({.name = "x", .workforce_ids = {999'999}}).status().code(),
              StatusCode::kNotFound);
  }
  auto writer = Ok(store->BeginImport(p.id, kT0));
  ASSERT_NE(writer, nullptr);
  Batch routed = Ok(writer->AddBatch({.name = "routed", .workforce_ids = {vendor.id}}));
  Ok(writer->Add({.data_json = "{\"n\":1}", .priority = 9, .batch_id = routed.id}));
  Ok(writer->Add({.data_json = "{\"n\":2}", .deadline_ms = kT0 + 10}));
  Ok(writer->Add({.data_json = "{\"n\":3}", .deadline_ms = kT0 + 5}));
  Ok(writer->Commit());
  EXPECT_EQ(Ok(store->GetBatch(routed.id)).workforce_ids, std::vector<int64_t>{vendor.id});
  EXPECT_EQ(Ok(store->CountTasksDueBefore(p.id, kT0 + 10)), 1);

  auto first = Ok(store->ClaimNextTask(p.id, other.id, kT0));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->task.data_json, "{\"n\":3}");  // sooner deadline first
  auto mine = Ok(store->ClaimNextTask(p.id, member.id, kT0));
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->task.batch_id, std::optional<int64_t>(routed.id));
  Ok(store->RevokeProjectAccess(p.id, vendor.id));
  EXPECT_FALSE(Ok(store->IsMember(p.id, member.id)));
  EXPECT_EQ(Ok(store->ListTasks({.project_id = p.id, .batch_id = routed.id})).items.size(), 1u);
  EXPECT_EQ(Ok(store->CountMatchingTasks({.project_id = p.id, .batch_id = routed.id})), 1);
}

// Every workflow table survives a dump and a load (what `plumb migrate`
// does), and the loaded database goes on where the first one stopped.
TEST_F(PostgresWorkflowTest, AWorkflowDatabaseDumpsAndLoadsUnchanged) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const Batch batch = PopulateWorkflow(*store);
  const std::vector<DumpedRow> dump = DumpAll(*store);
  const std::set<std::string> tables = Tables(dump);
  for (const char* table : {"workforces", "workforce_members", "project_workforces", "batches",
                            "golden_answers", "golden_grades", "final_labels", "reviews",
                            "review_leases", "webhooks", "events", "deliveries"}) {
    EXPECT_EQ(tables.count(table), 1u) << table;
  }

  const std::string other_url = CreateTestDatabase();
  {
    auto into = Ok(OpenPostgresStore(other_url, {.connections = 2}));
    ASSERT_NE(into, nullptr);
    Ok(LoadAll(dump, *into));
    EXPECT_EQ(NormalizeJson(DumpAll(*into)), NormalizeJson(dump));
    EXPECT_TRUE(InconsistentTasks(*Raw(other_url)).empty());
    // New rows take new ids.
    std::vector<Workforce> loaded = Ok(into->ListWorkforces(std::nullopt));
    ASSERT_EQ(loaded.size(), 1u);
    EXPECT_EQ(loaded[0].pricing.rate, 12.5);
    EXPECT_GT(Ok(into->CreateWorkforce({.name = "w2"}, kT0)).id, loaded[0].id);
    EXPECT_EQ(Ok(into->GetBatch(batch.id)).total, 4);
  }
  DropTestDatabase(other_url);
}

// --- dumps across backends -------------------------------------------------------------

class PostgresDumpTest : public PostgresWorkflowTest {
 protected:
  void SetUp() override {
    PostgresStoreTest::SetUp();
    dir_ = ::testing::TempDir() + "plumb_cross_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    PostgresStoreTest::TearDown();
  }
  std::unique_ptr<Store> OpenSqlite(const std::string& name) {
    return Ok(OpenSqliteStore(dir_ + "/" + name));
  }

  // Fills `from` (with `populate`), loads its dump into `into`, and expects
  // `into` to dump the same rows.
  void ExpectDumpLoadsUnchanged(Store& from, Store& into,
                                const std::function<void(Store&)>& populate = {}) {
    if (populate) {
      populate(from);
    } else {
      Populate(from, kT0);
    }
    const std::vector<DumpedRow> dump = DumpAll(from);
    Ok(LoadAll(dump, into));
    EXPECT_EQ(NormalizeJson(DumpAll(into)), NormalizeJson(dump));
  }

  std::string dir_;
};

TEST_F(PostgresDumpTest, SqliteDumpLoadsIntoPostgresUnchanged) {
  auto sqlite = OpenSqlite("from.db");
  auto pg = Open();
  ASSERT_TRUE(sqlite && pg);
  ExpectDumpLoadsUnchanged(*sqlite, *pg);
  EXPECT_TRUE(InconsistentTasks(*Raw()).empty());
}

TEST_F(PostgresDumpTest, PostgresDumpLoadsIntoSqliteUnchanged) {
  auto pg = Open();
  auto sqlite = OpenSqlite("to.db");
  ASSERT_TRUE(sqlite && pg);
  ExpectDumpLoadsUnchanged(*pg, *sqlite);
}

TEST_F(PostgresDumpTest, ASqliteWorkflowDatabaseLoadsIntoPostgresUnchanged) {
  auto sqlite = OpenSqlite("from.db");
  auto pg = Open();
  ASSERT_TRUE(sqlite && pg);
  ExpectDumpLoadsUnchanged(*sqlite, *pg, [&](Store& s) { PopulateWorkflow(s); });
  EXPECT_TRUE(InconsistentTasks(*Raw()).empty());
}

TEST_F(PostgresDumpTest, APostgresWorkflowDatabaseLoadsIntoSqliteUnchanged) {
  auto pg = Open();
  auto sqlite = OpenSqlite("to.db");
  ASSERT_TRUE(sqlite && pg);
  ExpectDumpLoadsUnchanged(*pg, *sqlite, [&](Store& s) { PopulateWorkflow(s); });
}

}  // namespace
}  // namespace plumb::store
