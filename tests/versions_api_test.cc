// API tests of dataset versions, label history and the audit log
// (docs/datasets.md) against the real `plumb serve` on both backends.

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "choice_api_fixture.h"

namespace plumb::test {
namespace {

using nlohmann::json;

std::vector<std::string> Actions(const json& page) {
  std::vector<std::string> out;
  for (const json& e : page["items"]) out.push_back(e["action"].get<std::string>());
  return out;
}

class VersionsApiTest : public ChoiceApiTest {
 protected:
  // A project of three tasks labeled positive, positive, negative by `ann`;
  // returns the task ids.
  std::vector<int64_t> LabeledProject(const Client& manager, const Client& ann, int64_t ann_id,
                                      int64_t* project) {
    auto res =
        manager.Post("/api/v1/projects",
                     json{{"name", "Versions"}, {"schema", json::parse(kSentimentSchema)}}.dump());
    EXPECT_EQ(res.status, 201) << res.body;
    *project = Body(res)["id"].get<int64_t>();
    EXPECT_EQ(manager.Post(P(*project, "/members"), json{{"user_id", ann_id}}.dump()).status, 204);
    EXPECT_EQ(manager
                  .Post(P(*project, "/tasks"), R"([{"text":"a"},{"text":"b"},{"text":"c"}])",
                        "application/json")
                  .status,
              201);
    std::vector<int64_t> ids;
    for (const char* value : {"positive", "positive", "negative"}) {
      ids.push_back(LabelNext(ann, *project, value, "rule"));
    }
    return ids;
  }

  // Takes the caller's next task and labels it; returns the task's id.
  int64_t LabelNext(const Client& who, int64_t project, const std::string& value,
                    const std::string& expected_rule) {
    auto next = who.Post(P(project, "/next"), "");
    EXPECT_EQ(next.status, 200) << next.body;
    if (next.status != 200) return 0;
    json n = Body(next);
    if (expected_rule != "rule") EXPECT_EQ(n["rule"], expected_rule);
    const int64_t task = n["task"]["id"].get<int64_t>();
    auto sub = who.Post(T(task, "/annotations"),
                        json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}}.dump());
    EXPECT_EQ(sub.status, 201) << sub.body;
    return task;
  }

  // Sends the task to review; the reviewer takes it and decides.
  void Review(const Client& manager, const Client& rev, int64_t project, int64_t task,
              json decision) {
    auto sent = manager.Post(P(project, "/review/send"), json{{"task_ids", {task}}}.dump());
    ASSERT_EQ(sent.status, 200) << sent.body;
    auto next = rev.Post(P(project, "/review/next"), "");
    ASSERT_EQ(next.status, 200) << next.body;
    ASSERT_EQ(Body(next)["task"]["id"], task);
    decision["lease_id"] = Body(next)["lease"]["id"];
    auto done = rev.Post(T(task, "/review"), decision.dump());
    ASSERT_EQ(done.status, 200) << done.body;
  }
};

TEST_P(VersionsApiTest, VersionsExportByteIdenticallyAndDiffAfterAReviewFix) {
  int64_t mia_id = 0, ann_id = 0, rev_id = 0, project = 0;
  Client manager = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  auto ids = LabeledProject(manager, ann, ann_id, &project);
  ASSERT_EQ(manager.Post(P(project, "/members"), json{{"user_id", rev_id}}.dump()).status, 204);

  auto created = manager.Post(P(project, "/versions"), R"({"name":"v1","note":"first cut"})");
  ASSERT_EQ(created.status, 201) << created.body;
  json v1 = Body(created);
  EXPECT_EQ(v1["name"], "v1");
  EXPECT_EQ(v1["note"], "first cut");
  EXPECT_EQ(v1["tasks"], 3);
  EXPECT_EQ(v1["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(v1["created_by"]["username"], "mia");
  EXPECT_EQ(Body(manager.Get(P(project, "/versions/v1")))["hash"], v1["hash"]);

  for (const char* format : {"jsonl", "json", "csv"}) {
    auto first = manager.Get(P(project, std::string("/versions/v1/export?format=") + format));
    auto second = manager.Get(P(project, std::string("/versions/v1/export?format=") + format));
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.body, second.body) << format;
  }
  const std::string jsonl = manager.Get(P(project, "/versions/v1/export?format=jsonl")).body;
  EXPECT_EQ(std::count(jsonl.begin(), jsonl.end(), '\n'), 3);
  json record = json::parse(jsonl.substr(0, jsonl.find('\n')));
  EXPECT_EQ(record["id"], ids[0]);
  EXPECT_EQ(record["data"]["text"], "a");
  EXPECT_EQ(record["label"]["sentiment"], "positive");
  EXPECT_EQ(record["final"]["method"], "single");
  EXPECT_EQ(record["final"]["result"][0]["values"][0], "positive");
  const std::string csv = manager.Get(P(project, "/versions/v1/export?format=csv")).body;
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "id,data,sentiment,method\r");

  // The CLI writes the same bytes.
  std::string out;
  ASSERT_EQ(RunPlumb({"export", "--db", server_.db_path(), "--project", std::to_string(project),
                      "--version", "v1", "--format", "jsonl"},
                     {}, &out),
            0)
      << out;
  EXPECT_EQ(out, jsonl);

  // A reviewer fixes the first task's label; the second version differs by it.
  Review(manager, rev, project, ids[0], {{"decision", "fix"}, {"result", Choice("neutral")}});
  auto v2 = manager.Post(P(project, "/versions"), R"({"name":"v2"})");
  ASSERT_EQ(v2.status, 201) << v2.body;
  EXPECT_NE(Body(v2)["hash"], v1["hash"]);
  json list = Body(manager.Get(P(project, "/versions")));
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["name"], "v2");

  auto diff = manager.Get(P(project, "/versions/diff?from=v1&to=v2"));
  ASSERT_EQ(diff.status, 200) << diff.body;
  json d = Body(diff);
  EXPECT_EQ(d["from"], "v1");
  EXPECT_EQ(d["to"], "v2");
  EXPECT_EQ(d["added"], 0);
  EXPECT_EQ(d["removed"], 0);
  EXPECT_EQ(d["relabeled"], 1);
  EXPECT_EQ(d["unchanged"], 2);
  EXPECT_EQ(d["tasks"]["relabeled"], json::array({ids[0]}));
  EXPECT_EQ(d["classes"], json::parse(R"([{"class":"neutral","added":1,"removed":0},)"
                                      R"({"class":"positive","added":0,"removed":1}])"));
  // v1 is unchanged by the fix.
  EXPECT_EQ(manager.Get(P(project, "/versions/v1/export?format=jsonl")).body, jsonl);
}

TEST_P(VersionsApiTest, HistoryGivesEachRevisionItsReason) {
  int64_t mia_id = 0, ann_id = 0, rev_id = 0, project = 0;
  Client manager = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  auto ids = LabeledProject(manager, ann, ann_id, &project);
  // Reviewers need access to the project; annotators never see history.
  EXPECT_EQ(rev.Get(T(ids[0], "/history")).status, 403);
  EXPECT_EQ(ann.Get(T(ids[0], "/history")).status, 403);
  ASSERT_EQ(manager.Post(P(project, "/members"), json{{"user_id", rev_id}}.dump()).status, 204);

  Review(manager, rev, project, ids[0], {{"decision", "fix"}, {"result", Choice("neutral")}});
  auto fixed = rev.Get(T(ids[0], "/history"));
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  json h = Body(fixed);
  ASSERT_EQ(h["items"].size(), 2u) << h.dump();
  EXPECT_EQ(h["items"][0]["reason"], "first");
  EXPECT_EQ(h["items"][0]["source"], "human");
  EXPECT_EQ(h["items"][0]["annotator"]["username"], "ann");
  EXPECT_EQ(h["items"][1]["reason"], "review_fix");
  EXPECT_EQ(h["items"][1]["source"], "review_fix");
  EXPECT_EQ(h["items"][1]["annotator"]["username"], "rev");
  EXPECT_EQ(h["final"]["method"], "review_fix");
  EXPECT_EQ(h["final"]["result"][0]["values"][0], "neutral");
  ASSERT_EQ(h["reviews"].size(), 1u);
  EXPECT_EQ(h["reviews"][0]["decision"], "fix");

  // A rejection sends the task back; the annotator's next revision is rework.
  Review(manager, rev, project, ids[1], {{"decision", "reject"}, {"comment", "read it again"}});
  EXPECT_EQ(LabelNext(ann, project, "negative", "rework"), ids[1]);
  json r = Body(manager.Get(T(ids[1], "/history")));
  ASSERT_EQ(r["items"].size(), 2u) << r.dump();
  EXPECT_EQ(r["items"][0]["reason"], "first");
  EXPECT_EQ(r["items"][1]["reason"], "rework");
  EXPECT_EQ(r["items"][1]["comment"], "read it again");
  EXPECT_EQ(r["items"][1]["revision"], 2);
  EXPECT_EQ(r["items"][1]["result"][0]["values"][0], "negative");
  ASSERT_EQ(r["reviews"].size(), 1u);
  EXPECT_EQ(r["reviews"][0]["decision"], "reject");
  EXPECT_EQ(r["reviews"][0]["comment"], "read it again");

  EXPECT_EQ(manager.Get(T(999999, "/history")).status, 404);
}

TEST_P(VersionsApiTest, RolesAndBadInput) {
  int64_t mia_id = 0, ann_id = 0, rev_id = 0, project = 0;
  Client manager = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  LabeledProject(manager, ann, ann_id, &project);
  ASSERT_EQ(manager.Post(P(project, "/members"), json{{"user_id", rev_id}}.dump()).status, 204);
  ASSERT_EQ(manager.Post(P(project, "/versions"), R"({"name":"v1"})").status, 201);

  EXPECT_EQ(rev.Post(P(project, "/versions"), R"({"name":"v9"})").status, 403);
  EXPECT_EQ(ann.Get(P(project, "/versions")).status, 403);
  EXPECT_EQ(rev.Get(P(project, "/versions/v1/export")).status, 403);
  EXPECT_EQ(rev.Get(P(project, "/versions/diff?from=v1&to=v1")).status, 403);

  for (const char* bad : {R"({"name":"bad name"})", R"({"name":"diff"})", R"({"name":""})",
                          R"({"name":7})", R"({})", R"({"name":"ok","note":5})"}) {
    auto res = manager.Post(P(project, "/versions"), bad);
    EXPECT_EQ(res.status, 400) << bad << " " << res.body;
  }
  EXPECT_EQ(Body(manager.Post(P(project, "/versions"), R"({"name":"a/b"})"))["error"]["field"],
            "name");
  auto dup = manager.Post(P(project, "/versions"), R"({"name":"v1"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(Body(dup)["error"]["code"], "already_exists");

  EXPECT_EQ(manager.Get(P(project, "/versions/nope")).status, 404);
  EXPECT_EQ(manager.Get(P(project, "/versions/nope/export")).status, 404);
  EXPECT_EQ(manager.Get(P(project, "/versions/v1/export?format=coco")).status, 400);
  EXPECT_EQ(manager.Get(P(project, "/versions/diff?from=v1")).status, 400);
  EXPECT_EQ(manager.Get(P(project, "/versions/diff?from=v1&to=nope")).status, 404);
  EXPECT_EQ(manager.Post(P(999999, "/versions"), R"({"name":"v1"})").status, 404);

  std::string out;
  EXPECT_NE(RunPlumb({"export", "--db", server_.db_path(), "--project", std::to_string(project),
                      "--version", "nope"},
                     {}, &out),
            0);
}

TEST_P(VersionsApiTest, TheAuditLogRecordsAdministrativeActions) {
  int64_t mia_id = 0, ann_id = 0, project = 0;
  Client manager = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  LabeledProject(manager, ann, ann_id, &project);
  ASSERT_EQ(manager.Post(P(project, "/versions"), R"({"name":"v1"})").status, 201);
  auto hook = manager.Post(P(project, "/webhooks"),
                           R"({"url":"http://127.0.0.1:9/hook","events":["task.completed"]})");
  ASSERT_EQ(hook.status, 201) << hook.body;
  const int64_t hook_id = Body(hook)["webhook"]["id"].get<int64_t>();
  ASSERT_EQ(manager.Delete("/api/v1/webhooks/" + std::to_string(hook_id)).status, 204);

  auto all = admin_->Get("/api/v1/audit?limit=100");
  ASSERT_EQ(all.status, 200) << all.body;
  json page = Body(all);
  EXPECT_EQ(Actions(page), (std::vector<std::string>{
                               "webhook.delete", "webhook.create", "version.create", "import",
                               "member.add", "project.create", "user.create", "user.create"}));
  const json& version = page["items"][2];
  EXPECT_EQ(version["user"]["username"], "mia");
  EXPECT_EQ(version["project_id"], project);
  EXPECT_EQ(version["target"], "v1");
  EXPECT_EQ(version["details"]["tasks"], 3);
  EXPECT_EQ(page["items"][6]["target"], "ann");
  EXPECT_EQ(page["items"][6]["details"]["role"], "annotator");
  EXPECT_EQ(page["items"][6]["project_id"], nullptr);
  EXPECT_TRUE(page["next_cursor"].is_null());

  // Keyset pages.
  json first = Body(admin_->Get("/api/v1/audit?limit=3"));
  ASSERT_EQ(first["items"].size(), 3u);
  ASSERT_TRUE(first["next_cursor"].is_string());
  json second =
      Body(admin_->Get("/api/v1/audit?limit=3&cursor=" + first["next_cursor"].get<std::string>()));
  EXPECT_EQ(Actions(second), (std::vector<std::string>{"import", "member.add", "project.create"}));

  // Managers see the projects' entries only; others nothing.
  EXPECT_EQ(Actions(Body(manager.Get("/api/v1/audit?limit=100"))).size(), 6u);
  EXPECT_EQ(Actions(Body(manager.Get("/api/v1/audit?project=" + std::to_string(project)))).size(),
            6u);
  EXPECT_EQ(Body(manager.Get("/api/v1/audit?project=999999"))["items"].size(), 0u);
  EXPECT_EQ(ann.Get("/api/v1/audit").status, 403);
  EXPECT_EQ(admin_->Get("/api/v1/audit?limit=0").status, 400);
  EXPECT_EQ(admin_->Get("/api/v1/audit?cursor=zz").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, VersionsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
