// The conformance suite on PostgreSQL, plus what only this backend has to
// get right: several servers on one database, migrations raced by servers
// starting at once, lost connections, jsonb's limits, and dumps that cross
// backends. Runs on the throw-away cluster ctest starts (see pg_test_db.h).

#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

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
  // annotations; none when no update was lost.
  std::vector<std::string> InconsistentTasks(PgConnection& c) {
    return Column(c,
                  "SELECT t.id FROM tasks t JOIN projects p ON p.id = t.project_id"
                  " WHERE t.lease_count <> (SELECT COUNT(*) FROM leases l"
                  "   WHERE l.task_id = t.id AND l.active = 1)"
                  " OR t.annotation_count <> (SELECT COUNT(*) FROM annotations a"
                  "   WHERE a.task_id = t.id)"
                  " OR t.open_slots <> CASE WHEN t.state = 2 THEN 0"
                  "   ELSE (p.settings_json->>'overlap')::integer - t.annotation_count"
                  "   - t.lease_count END");
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
  std::vector<std::unique_ptr<Store>> servers;
  for (int i = 0; i < kServers; ++i) servers.push_back(Open(kThreadsPerServer));
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
  std::vector<std::unique_ptr<Store>> servers;
  for (int i = 0; i < 2; ++i) servers.push_back(Open(kUsers / 2));
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
                     " AND t.open_slots > 0"
                     " AND NOT EXISTS (SELECT 1 FROM annotations a"
                     " WHERE a.task_id = t.id AND a.user_id = 2)"
                     " AND NOT EXISTS (SELECT 1 FROM skips k"
                     " WHERE k.task_id = t.id AND k.user_id = 2)"
                     " ORDER BY t.priority DESC, t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED")) {
    plan += line + "\n";
  }
  EXPECT_NE(plan.find("tasks_queue"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Sort"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan on tasks"), std::string::npos) << plan;
}

// --- dumps across backends -------------------------------------------------------------

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

class PostgresDumpTest : public PostgresStoreTest {
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

  // Fills `from`, loads its dump into `into`, and expects `into` to dump
  // the same rows.
  void ExpectDumpLoadsUnchanged(Store& from, Store& into) {
    Populate(from, kT0);
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

}  // namespace
}  // namespace plumb::store
