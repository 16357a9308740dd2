// `plumb migrate`: a database labeled through the API on SQLite is copied to
// PostgreSQL (and back), and the copy serves the same exports, logins,
// histories and queue.

#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <set>

#include "server_process.h"
#include "store/postgres/pg_test_db.h"

namespace plumb::test {
namespace {

using nlohmann::json;

json Body(const HttpResponse& res) { return json::parse(res.body, nullptr, false); }

std::string P(int64_t project, const std::string& rest = "") {
  return "/api/v1/projects/" + std::to_string(project) + rest;
}
std::string T(int64_t task, const std::string& rest) {
  return "/api/v1/tasks/" + std::to_string(task) + rest;
}

json Choice(const std::string& label) {
  return json::array({{{"control", "sentiment"}, {"type", "choice"}, {"values", {label}}}});
}

Client NewUser(const ServerProcess& server, const Client& admin, const std::string& name,
               const std::string& role, int64_t* id) {
  auto res = admin.Post("/api/v1/users", json{{"username", name},
                                              {"password", name + "-password"},
                                              {"role", role}}
                                             .dump());
  EXPECT_EQ(res.status, 201) << res.body;
  *id = Body(res)["id"].get<int64_t>();
  return Client::Login(server, name, name + "-password");
}

// What a copy must serve the same: the export, each task's revision history
// as its manager sees it, and the project's counts.
json Snapshot(const Client& manager, int64_t project) {
  json snap;
  snap["export"] = Body(manager.Get(P(project, "/export?format=json")));
  snap["counts"] = Body(manager.Get(P(project)))["counts"];
  for (const json& record : snap["export"]) {
    int64_t task = record["id"].get<int64_t>();
    snap["history"][std::to_string(task)] = Body(manager.Get(T(task, "/annotations")));
  }
  return snap;
}

class MigrateTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const std::string& url : databases_) store::DropTestDatabase(url);
  }
  std::string NewPostgresDatabase() {
    databases_.push_back(store::CreateTestDatabase());
    return databases_.back();
  }
  std::vector<std::string> databases_;
};

TEST_F(MigrateTest, SqliteToPostgresAndBackServesTheSameLabels) {
  // Label on SQLite: two annotators, overlap 2, a resubmission, a skip and a
  // lease still held.
  ServerProcess sqlite;
  ASSERT_TRUE(sqlite.Start()) << sqlite.log();
  Client admin = Client::Login(sqlite, "admin", ServerProcess::kAdminPassword);
  int64_t mia_id = 0, ann_id = 0, bob_id = 0;
  Client mia = NewUser(sqlite, admin, "mia", "manager", &mia_id);
  Client ann = NewUser(sqlite, admin, "ann", "annotator", &ann_id);
  Client bob = NewUser(sqlite, admin, "bob", "annotator", &bob_id);
  auto created = mia.Post("/api/v1/projects", R"({"name":"Reviews","settings":{"overlap":2},)"
                                              R"("schema":{"controls":[{"name":"sentiment",)"
                                              R"("type":"choice","source":"text",)"
                                              R"("labels":["positive","negative"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  int64_t project = Body(created)["id"].get<int64_t>();
  std::string tasks;
  for (int i = 0; i < 12; ++i) {
    tasks += json{{"data", {{"text", "review " + std::to_string(i) + " \xC3\xA9\xF0\x9F\x98\x80"}}},
                  {"priority", i % 3}}
                 .dump() +
             "\n";
  }
  ASSERT_EQ(mia.Post(P(project, "/tasks"), tasks, "application/x-ndjson").status, 201);
  for (int64_t id : {ann_id, bob_id}) {
    ASSERT_EQ(mia.Post(P(project, "/members"), json{{"user_id", id}}.dump()).status, 204);
  }
  auto label = [&](const Client& who, int count) {
    std::vector<int64_t> labeled;
    for (int i = 0; i < count; ++i) {
      json n = Body(who.Post(P(project, "/next"), ""));
      json body = {{"result", Choice(i % 2 ? "positive" : "negative")},
                   {"lease_id", n["lease"]["id"]}};
      int64_t task = n["task"]["id"].get<int64_t>();
      EXPECT_EQ(who.Post(T(task, "/annotations"), body.dump()).status, 201);
      labeled.push_back(task);
    }
    return labeled;
  };
  std::vector<int64_t> ann_tasks = label(ann, 7);
  label(bob, 4);
  json skipped = Body(bob.Post(P(project, "/next"), ""));
  ASSERT_EQ(bob.Post(T(skipped["task"]["id"].get<int64_t>(), "/skip"),
                     json{{"lease_id", skipped["lease"]["id"]}}.dump())
                .status,
            200);
  // ann changes her mind on her first task: revision 2.
  ASSERT_EQ(ann.Post(T(ann_tasks[0], "/annotations"), json{{"result", Choice("positive")}}.dump())
                .status,
            201);
  ASSERT_EQ(Body(ann.Get(T(ann_tasks[0], "/annotations")))["items"].size(), 2u);
  json held = Body(ann.Post(P(project, "/next"), ""));  // a live lease at migration time
  auto token = mia.Post("/api/v1/tokens", R"({"name":"script"})");
  ASSERT_EQ(token.status, 201) << token.body;
  std::string token_secret = Body(token)["token"].get<std::string>();
  json before = Snapshot(mia, project);
  ASSERT_EQ(before["export"].size(), 12u);
  ASSERT_EQ(sqlite.Stop(SIGTERM), 0);

  // Copy to PostgreSQL.
  std::string pg = NewPostgresDatabase();
  std::string output;
  ASSERT_EQ(RunPlumb({"migrate", "--from", "sqlite:" + sqlite.db_path(), "--to", pg}, {}, &output),
            0)
      << output;
  EXPECT_NE(output.find("revisions"), std::string::npos) << output;

  ServerProcess postgres(ServerConfig{.db = pg, .init = false});
  ASSERT_TRUE(postgres.Start()) << postgres.log();
  // The same passwords and token work: their hashes came along.
  int login = 0;
  Client mia_pg = Client::Login(postgres, "mia", "mia-password", &login);
  ASSERT_EQ(login, 200);
  Client ann_pg = Client::Login(postgres, "ann", "ann-password");
  Client bob_pg = Client::Login(postgres, "bob", "bob-password");
  Client script(postgres, "Authorization\nBearer " + token_secret);
  EXPECT_EQ(Body(script.Get("/api/v1/me"))["username"], "mia");
  // JSON equality ignores key order, which PostgreSQL's jsonb does not keep.
  EXPECT_EQ(Snapshot(mia_pg, project), before);

  // The queue goes on where it stopped: ann gets her held lease back; bob
  // never sees the task he skipped; new rows get fresh ids.
  json again = Body(ann_pg.Post(P(project, "/next"), ""));
  EXPECT_EQ(again["rule"], "existing_lease");
  EXPECT_EQ(again["lease"]["id"], held["lease"]["id"]);
  std::set<int64_t> bob_tasks;
  for (;;) {
    auto n = bob_pg.Post(P(project, "/next"), "");
    if (n.status == 204) break;
    ASSERT_EQ(n.status, 200) << n.body;
    json nj = Body(n);
    EXPECT_NE(nj["task"]["id"], skipped["task"]["id"]);
    ASSERT_EQ(bob_pg.Post(T(nj["task"]["id"].get<int64_t>(), "/annotations"),
                          json{{"result", Choice("positive")}, {"lease_id", nj["lease"]["id"]}}.dump())
                  .status,
              201);
    bob_tasks.insert(nj["task"]["id"].get<int64_t>());
  }
  EXPECT_FALSE(bob_tasks.empty());
  auto second = mia_pg.Post("/api/v1/projects",
                            R"({"name":"Second","schema":{"controls":[{"name":"sentiment",)"
                            R"("type":"choice","source":"text","labels":["a","b"]}]}})");
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_GT(Body(second)["id"].get<int64_t>(), project);
  int64_t carl_id = 0;
  NewUser(postgres, Client::Login(postgres, "admin", ServerProcess::kAdminPassword), "carl",
          "annotator", &carl_id);
  EXPECT_GT(carl_id, bob_id);
  json after = Snapshot(mia_pg, project);

  // A target that is not empty is refused and left as it was.
  ASSERT_EQ(postgres.Stop(SIGTERM), 0);
  EXPECT_NE(RunPlumb({"migrate", "--from", "sqlite:" + sqlite.db_path(), "--to", pg}, {}, &output),
            0);
  EXPECT_NE(output.find("empty"), std::string::npos) << output;

  // And back: PostgreSQL to a new SQLite file serves what PostgreSQL served.
  std::string back = sqlite.dir() + "/back.db";
  ASSERT_EQ(RunPlumb({"migrate", "--from", pg, "--to", back}, {}, &output), 0) << output;
  ServerProcess sqlite_again(ServerConfig{.db = back, .init = false});
  ASSERT_TRUE(sqlite_again.Start()) << sqlite_again.log();
  EXPECT_EQ(Snapshot(Client::Login(sqlite_again, "mia", "mia-password"), project), after);
}

TEST_F(MigrateTest, BadSourcesAreRefusedClearly) {
  std::string output;
  EXPECT_NE(RunPlumb({"migrate", "--from", "sqlite:/nonexistent/plumb.db", "--to",
                      "/tmp/plumb-migrate-never.db"},
                     {}, &output),
            0);
  EXPECT_NE(output.find("no database at /nonexistent/plumb.db"), std::string::npos) << output;
  EXPECT_NE(RunPlumb({"migrate", "--from", "/tmp/x.db", "--to", "/tmp/x.db"}, {}, &output), 0);
  EXPECT_NE(output.find("same database"), std::string::npos) << output;
}

}  // namespace
}  // namespace plumb::test
