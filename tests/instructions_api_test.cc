// API tests of labeling instructions (docs/instructions.md) against the real
// `plumb serve` on both backends: versions with examples, images, the
// acknowledgement gate on the queues, the version each revision records,
// outdated tasks and their rework, the analytics by version, roles and bad
// input.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "choice_api_fixture.h"

namespace plumb::test {
namespace {

using nlohmann::json;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) + "pixels";

class InstructionsApiTest : public ChoiceApiTest {
 protected:
  HttpResponse Save(const Client& who, int64_t project, const json& body) const {
    return Send(who, "PUT", P(project, "/instructions"), body.dump(), "application/json");
  }

  // Takes the caller's next task and labels it; returns the submit's annotation.
  json LabelNext(const Client& who, int64_t project, const std::string& value) {
    auto next = who.Post(P(project, "/next"), "");
    EXPECT_EQ(next.status, 200) << next.body;
    if (next.status != 200) return nullptr;
    json n = Body(next);
    auto sub = who.Post(T(n["task"]["id"].get<int64_t>(), "/annotations"),
                        json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}}.dump());
    EXPECT_EQ(sub.status, 201) << sub.body;
    return Body(sub)["annotation"];
  }
};

TEST_P(InstructionsApiTest, VersionsWithImagesAndExampleTasks) {
  int64_t mia_id = 0, ann_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  const int64_t project = NewProject(mia, json::object());
  std::vector<int64_t> tasks = Import(mia, project, 3);
  AddMember(mia, project, ann_id);

  EXPECT_EQ(Body(ann.Get(P(project, "/instructions"))),
            (json{{"current", nullptr}, {"acknowledged", 0}}));

  // Images: stored by hash, once; bad magic and oversize are refused.
  auto up = Send(mia, "POST", P(project, "/instructions/images"), kPng, "image/png");
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string hash = Body(up)["hash"].get<std::string>();
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(Body(up)["url"], "/api/v1/instructions/images/" + hash);
  auto again = Send(mia, "POST", P(project, "/instructions/images"), kPng, "image/png");
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(Body(again)["hash"], hash);
  auto image = ann.Get("/api/v1/instructions/images/" + hash);
  ASSERT_EQ(image.status, 200);
  EXPECT_EQ(image.body, kPng);
  EXPECT_EQ(image.headers["content-type"], "image/png");
  EXPECT_EQ(image.headers["x-content-type-options"], "nosniff");
  EXPECT_NE(image.headers["cache-control"].find("immutable"), std::string::npos);
  EXPECT_EQ(ann.Get("/api/v1/instructions/images/" + std::string(64, '0')).status, 404);
  EXPECT_EQ(
      Send(mia, "POST", P(project, "/instructions/images"), "<svg onload=x>", "image/png").status,
      415);
  EXPECT_EQ(Send(mia, "POST", P(project, "/instructions/images"), kPng + std::string(5 << 20, 'x'),
                 "image/png")
                .status,
            413);
  EXPECT_EQ(Send(ann, "POST", P(project, "/instructions/images"), kPng, "image/png").status, 403);

  // Task 0 is golden; task 1 gets a final label from ann.
  ASSERT_EQ(Send(mia, "PUT", T(tasks[0], "/golden"), json{{"result", Choice("positive")}}.dump(),
                 "application/json")
                .status,
            200);
  LabelNext(ann, project, "negative");
  const int64_t labeled = tasks[1];
  ASSERT_EQ(State(labeled), "done");

  json examples =
      json::array({{{"kind", "example"},
                    {"title", "clearly good"},
                    {"text", "**yes**"},
                    {"image", hash},
                    {"task_id", tasks[0]}},
                   {{"kind", "counter_example"}, {"title", "not good"}, {"task_id", labeled}}});
  auto v1 = Save(mia, project,
                 {{"body", "# Sentiment\n\n![x](/api/v1/instructions/images/" + hash + ")"},
                  {"examples", examples},
                  {"note", "first"}});
  ASSERT_EQ(v1.status, 201) << v1.body;
  EXPECT_EQ(Body(v1)["version"], 1);
  EXPECT_EQ(Body(v1)["author"]["username"], "mia");
  EXPECT_EQ(Body(v1)["examples"][1]["image"], nullptr) << "normalized";
  auto v2 = Save(mia, project, {{"body", "# Sentiment v2"}});
  ASSERT_EQ(v2.status, 201) << v2.body;
  EXPECT_EQ(Body(v2)["version"], 2);
  EXPECT_EQ(Body(v2)["note"], "");

  json versions = Body(ann.Get(P(project, "/instructions/versions")));
  ASSERT_EQ(versions["items"].size(), 2u);
  EXPECT_EQ(versions["items"][0]["version"], 2);
  EXPECT_EQ(versions["items"][1]["note"], "first");
  EXPECT_EQ(versions["items"][1]["author"]["id"], mia_id);

  auto got = ann.Get(P(project, "/instructions/1"));
  ASSERT_EQ(got.status, 200) << got.body;
  json g = Body(got);
  EXPECT_EQ(g["examples"][0]["title"], "clearly good");
  EXPECT_EQ(g["tasks"][std::to_string(tasks[0])]["label"]["result"], Choice("positive"));
  EXPECT_EQ(g["tasks"][std::to_string(labeled)]["label"]["result"], Choice("negative"));
  EXPECT_EQ(g["tasks"][std::to_string(labeled)]["task"]["id"], labeled);
  EXPECT_EQ(ann.Get(P(project, "/instructions/3")).status, 404);
  EXPECT_EQ(Body(ann.Get(P(project, "/instructions")))["current"], 2);
}

TEST_P(InstructionsApiTest, AnnotatorsAndReviewersAcknowledgeBeforeTheirNextTask) {
  int64_t mia_id = 0, ann_id = 0, rev_id = 0, vic_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  Client vic = NewUser("vic", "annotator", &vic_id);
  const int64_t project = NewProject(mia, {{"review_share", 100}});
  Import(mia, project, 3);
  AddMember(mia, project, ann_id);
  AddMember(mia, project, rev_id);
  // vic labels through a workforce.
  auto wf = mia.Post("/api/v1/workforces", json{{"name", "team"}}.dump());
  ASSERT_EQ(wf.status, 201) << wf.body;
  const int64_t team = Body(wf)["id"].get<int64_t>();
  ASSERT_EQ(mia.Post("/api/v1/workforces/" + std::to_string(team) + "/members",
                     json{{"user_id", vic_id}}.dump())
                .status,
            204);
  ASSERT_EQ(mia.Post(P(project, "/workforces"), json{{"workforce_id", team}}.dump()).status, 204);

  // Without instructions nothing is gated; the revision records version 0.
  EXPECT_EQ(LabelNext(ann, project, "positive")["instructions_version"], 0);
  ASSERT_EQ(Save(mia, project, {{"body", "v1"}}).status, 201);

  auto gated = ann.Post(P(project, "/next"), "");
  ASSERT_EQ(gated.status, 409) << gated.body;
  EXPECT_EQ(Body(gated)["error"]["code"], "instructions_not_acknowledged");
  EXPECT_EQ(Body(gated)["error"]["version"], 1);
  auto review_gated = rev.Post(P(project, "/review/next"), "");
  EXPECT_EQ(review_gated.status, 409) << review_gated.body;
  EXPECT_EQ(Body(review_gated)["error"]["version"], 1);

  EXPECT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", 2}}.dump()).status, 409);
  EXPECT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", "1"}}.dump()).status, 400);
  ASSERT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 204);
  EXPECT_EQ(Body(ann.Get(P(project, "/instructions")))["acknowledged"], 1);
  json annotation = LabelNext(ann, project, "negative");
  EXPECT_EQ(annotation["instructions_version"], 1) << "the revision records the version";
  json history = Body(mia.Get(T(annotation["task_id"].get<int64_t>(), "/annotations")));
  EXPECT_EQ(history["items"][0]["instructions_version"], 1) << history.dump();

  ASSERT_EQ(rev.Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 204);
  EXPECT_EQ(rev.Post(P(project, "/review/next"), "").status, 200);

  // A new version gates again; an old version cannot be acknowledged.
  ASSERT_EQ(Save(mia, project, {{"body", "v2"}}).status, 201);
  EXPECT_EQ(Body(ann.Post(P(project, "/next"), ""))["error"]["version"], 2);
  EXPECT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 409);

  auto acks = mia.Get(P(project, "/instructions/acks"));
  ASSERT_EQ(acks.status, 200) << acks.body;
  json a = Body(acks);
  EXPECT_EQ(a["current"], 2);
  ASSERT_EQ(a["items"].size(), 3u) << a.dump();
  EXPECT_EQ(a["items"][0]["username"], "ann");
  EXPECT_EQ(a["items"][0]["acknowledged"], 1);
  EXPECT_TRUE(a["items"][0]["at"].is_string());
  EXPECT_EQ(a["items"][1]["username"], "rev");
  EXPECT_EQ(a["items"][2]["username"], "vic");
  EXPECT_EQ(a["items"][2]["acknowledged"], 0);
  EXPECT_EQ(a["items"][2]["at"], nullptr);
  EXPECT_EQ(ann.Get(P(project, "/instructions/acks")).status, 403);
}

TEST_P(InstructionsApiTest, OutdatedTasksGoBackToTheirAnnotatorsAsRework) {
  int64_t mia_id = 0, ann_id = 0, bob_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  const int64_t project = NewProject(mia, {{"overlap", 2}});
  std::vector<int64_t> tasks = Import(mia, project, 3);
  AddMember(mia, project, ann_id);
  AddMember(mia, project, bob_id);
  // Tasks 0 and 1 are done under no instructions.
  for (int i = 0; i < 2; ++i) {
    LabelNext(ann, project, "positive");
    LabelNext(bob, project, "positive");
  }
  ASSERT_EQ(Save(mia, project, {{"body", "v1"}}).status, 201);

  auto outdated = mia.Get(P(project, "/instructions/outdated?limit=1"));
  ASSERT_EQ(outdated.status, 200) << outdated.body;
  json o = Body(outdated);
  EXPECT_EQ(o["total"], 2);
  ASSERT_EQ(o["items"].size(), 1u);
  EXPECT_EQ(o["items"][0]["id"], tasks[0]);
  ASSERT_TRUE(o["next_cursor"].is_string());
  json rest = Body(mia.Get(
      P(project, "/instructions/outdated?limit=1&cursor=" + o["next_cursor"].get<std::string>())));
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["id"], tasks[1]);
  EXPECT_EQ(rest["next_cursor"], nullptr);
  EXPECT_EQ(mia.Get(P(project, "/instructions/outdated?before=0")).status, 400);
  EXPECT_EQ(ann.Get(P(project, "/instructions/outdated")).status, 403);

  // One listed task first, then all the others.
  EXPECT_EQ(mia.Post(P(project, "/instructions/rework"), json{{"task_ids", {"x"}}}.dump()).status,
            400);
  auto one =
      mia.Post(P(project, "/instructions/rework"), json{{"task_ids", {tasks[1], tasks[2]}}}.dump());
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(Body(one)["sent"], 1);
  EXPECT_EQ(State(tasks[1]), "annotating");
  auto all = mia.Post(P(project, "/instructions/rework"), "{}");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(Body(all)["sent"], 1);
  EXPECT_EQ(State(tasks[0]), "annotating");
  EXPECT_EQ(Body(mia.Get(P(project, "/instructions/outdated")))["total"], 0);

  // The annotators acknowledge and get both tasks back with the comment.
  for (Client* who : {&ann, &bob}) {
    ASSERT_EQ(who->Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 204);
    for (int i = 0; i < 2; ++i) {
      auto next = who->Post(P(project, "/next"), "");
      ASSERT_EQ(next.status, 200) << next.body;
      json n = Body(next);
      EXPECT_EQ(n["rule"], "rework");
      EXPECT_EQ(n["review"]["comment"], "instructions changed (version 1)");
      EXPECT_EQ(n["review"]["reviewer"]["username"], "mia");
      auto sub =
          who->Post(T(n["task"]["id"].get<int64_t>(), "/annotations"),
                    json{{"result", Choice("negative")}, {"lease_id", n["lease"]["id"]}}.dump());
      ASSERT_EQ(sub.status, 201) << sub.body;
      EXPECT_EQ(Body(sub)["annotation"]["instructions_version"], 1);
    }
  }
  // As after a reviewer's rejection, the completed tasks return to review.
  EXPECT_EQ(State(tasks[0]), "reviewing");
  EXPECT_EQ(State(tasks[1]), "reviewing");

  // The history says why each annotation has a second revision.
  auto history = mia.Get(T(tasks[0], "/history"));
  ASSERT_EQ(history.status, 200) << history.body;
  json h = Body(history);
  ASSERT_EQ(h["items"].size(), 4u);
  for (const json& item : h["items"]) {
    const bool second = item["revision"] == 2;
    EXPECT_EQ(item["reason"], second ? "instructions" : "first") << item;
    EXPECT_EQ(item["comment"], second ? json("instructions changed (version 1)") : json(nullptr));
    EXPECT_EQ(item["instructions_version"], second ? 1 : 0);
  }
  ASSERT_EQ(h["reviews"].size(), 1u);
  EXPECT_EQ(h["reviews"][0]["decision"], "instructions_rework");

  // The save and both reworks are in the audit log, newest first.
  json audit = Body(mia.Get("/api/v1/audit?project=" + std::to_string(project)));
  std::vector<std::string> actions;
  for (const json& e : audit["items"]) {
    if (e["action"].get<std::string>().rfind("instructions.", 0) == 0) {
      actions.push_back(e["action"]);
    }
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"instructions.rework", "instructions.rework",
                                               "instructions.save"}));
  EXPECT_EQ(audit["items"][0]["details"]["sent"], 1);
  EXPECT_EQ(audit["items"][0]["details"]["before"], 1);
}

TEST_P(InstructionsApiTest, AnalyticsBreakGoldenAccuracyAndAgreementDownByVersion) {
  int64_t mia_id = 0, ann_id = 0, bob_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  const int64_t project = NewProject(mia, {{"overlap", 2}, {"golden_rate", 1}});
  std::vector<int64_t> tasks = Import(mia, project, 4);
  AddMember(mia, project, ann_id);
  AddMember(mia, project, bob_id);
  // Tasks 0 and 1 are golden (positive); ann labels task 0 under version 0
  // (right), then task 1 under version 1 (wrong).
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(Send(mia, "PUT", T(tasks[i], "/golden"), json{{"result", Choice("positive")}}.dump(),
                   "application/json")
                  .status,
              200);
  }
  LabelNext(ann, project, "positive");
  ASSERT_EQ(Save(mia, project, {{"body", "v1"}}).status, 201);
  ASSERT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 204);
  ASSERT_EQ(bob.Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 204);
  LabelNext(ann, project, "negative");
  // Under version 1, task 2 is labeled by both alike (golden_rate: bob's
  // first two are golden).
  LabelNext(bob, project, "positive");
  LabelNext(bob, project, "positive");
  LabelNext(ann, project, "neutral");
  LabelNext(bob, project, "neutral");

  auto res = mia.Get(P(project, "/analytics/instructions"));
  ASSERT_EQ(res.status, 200) << res.body;
  json items = Body(res)["items"];
  ASSERT_EQ(items.size(), 2u) << items.dump();
  EXPECT_EQ(items[0]["version"], 0);
  EXPECT_EQ(items[0]["labels"], 1);
  EXPECT_EQ(items[0]["golden"]["graded"], 1);
  EXPECT_EQ(items[0]["golden"]["accuracy"], 1.0);
  EXPECT_EQ(items[1]["version"], 1);
  EXPECT_EQ(items[1]["labels"], 5);
  EXPECT_EQ(items[1]["golden"]["graded"], 3);
  EXPECT_EQ(items[1]["golden"]["correct"], 2);
  EXPECT_EQ(items[1]["agreement"]["compared"], 2);
  EXPECT_EQ(items[1]["agreement"]["mean"], 1.0);
  EXPECT_EQ(ann.Get(P(project, "/analytics/instructions")).status, 403);
  auto csv = mia.Get(P(project, "/analytics/instructions?format=csv"));
  EXPECT_EQ(csv.status, 200);
  EXPECT_NE(csv.body.find("golden.accuracy"), std::string::npos);
}

TEST_P(InstructionsApiTest, RolesAndBadInputStoreNothing) {
  int64_t mia_id = 0, ann_id = 0, eve_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client eve = NewUser("eve", "annotator", &eve_id);
  const int64_t project = NewProject(mia, json::object());
  std::vector<int64_t> tasks = Import(mia, project, 1);
  AddMember(mia, project, ann_id);
  const int64_t other = NewProject(mia, json::object());
  std::vector<int64_t> foreign = Import(mia, other, 1);

  EXPECT_EQ(Save(ann, project, {{"body", "mine"}}).status, 403) << "annotators can't save";
  EXPECT_EQ(eve.Get(P(project, "/instructions")).status, 403) << "non-members can't read";
  EXPECT_EQ(eve.Get(P(project, "/instructions/versions")).status, 403);

  struct Case {
    const char* name;
    json body;
    const char* field;
  };
  const Case cases[] = {
      {"no body", json::object(), "body"},
      {"body not a string", {{"body", 3}}, "body"},
      {"body too long", {{"body", std::string((1 << 20) + 1, 'x')}}, "body"},
      {"examples not a list", {{"body", "b"}, {"examples", "x"}}, "examples"},
      {"bad kind",
       {{"body", "b"}, {"examples", {{{"kind", "maybe"}, {"title", "t"}}}}},
       "examples[0].kind"},
      {"empty title",
       {{"body", "b"}, {"examples", {{{"kind", "example"}, {"title", ""}}}}},
       "examples[0].title"},
      {"long title",
       {{"body", "b"}, {"examples", {{{"kind", "example"}, {"title", std::string(201, 't')}}}}},
       "examples[0].title"},
      {"unknown image",
       {{"body", "b"},
        {"examples", {{{"kind", "example"}, {"title", "t"}, {"image", std::string(64, 'f')}}}}},
       "examples[0].image"},
      {"task of another project",
       {{"body", "b"},
        {"examples",
         {{{"kind", "example"}, {"title", "t"}},
          {{"kind", "example"}, {"title", "t"}, {"task_id", foreign[0]}}}}},
       "examples[1].task_id"},
      {"note not a string", {{"body", "b"}, {"note", 1}}, "note"},
  };
  for (const Case& c : cases) {
    auto res = Save(mia, project, c.body);
    EXPECT_EQ(res.status, 400) << c.name << ": " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], c.field) << c.name;
  }
  EXPECT_EQ(Send(mia, "PUT", P(project, "/instructions"), "{", "application/json").status, 400);
  EXPECT_TRUE(Body(mia.Get(P(project, "/instructions/versions")))["items"].empty())
      << "nothing stored";
  EXPECT_EQ(Save(mia, project,
                 {{"body", "ok"},
                  {"examples", {{{"kind", "example"}, {"title", "t"}, {"task_id", tasks[0]}}}}})
                .status,
            201);
}

INSTANTIATE_TEST_SUITE_P(Backends, InstructionsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
