// API tests of training and qualification (docs/training.md) against the real
// `plumb serve` on both backends: the qualification gate on the queue,
// failing and the retry wait, requalification under new instructions, the
// ongoing check's pause with its labeler.paused webhook, the managers'
// overview, practice answers kept out of labels, roles and bad input.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "automation/test_receiver.h"
#include "choice_api_fixture.h"

namespace plumb::test {
namespace {

using automation::testing::ReceivedRequest;
using automation::testing::TestReceiver;
using nlohmann::json;

constexpr std::chrono::seconds kDeliveryWait{20};

class TrainingApiTest : public ChoiceApiTest {
 protected:
  HttpResponse Put(const Client& who, const std::string& target, const json& body) const {
    return Send(who, "PUT", target, body.dump());
  }

  void MakeGolden(const Client& manager, int64_t task, const std::string& value) {
    ASSERT_EQ(Put(manager, T(task, "/golden"), {{"result", Choice(value)}}).status, 200);
  }

  // A golden set of `tasks` named "qual"; returns its id.
  int64_t GoldenSet(const Client& manager, int64_t project, const std::vector<int64_t>& tasks) {
    auto res = manager.Post(P(project, "/golden-sets"),
                            json{{"name", "qual"}, {"task_ids", tasks}}.dump());
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res)["id"].get<int64_t>();
  }

  void Settings(const Client& manager, int64_t project, const json& settings) {
    auto res = Put(manager, P(project, "/training/settings"), settings);
    ASSERT_EQ(res.status, 200) << res.body;
  }

  // Takes a test (starting or resuming it) and answers every task with
  // `answer(task data text)`; returns the finished attempt.
  json TakeTest(const Client& who, int64_t project,
                const std::function<std::string(const std::string&)>& answer) {
    auto start = who.Post(P(project, "/training/qualification/attempts"), "");
    EXPECT_TRUE(start.status == 201 || start.status == 200) << start.body;
    const int64_t attempt = Body(start)["id"].get<int64_t>();
    const std::string base =
        P(project, "/training/qualification/attempts/" + std::to_string(attempt));
    json last;
    for (int i = 0; i < 100; ++i) {
      auto next = who.Post(base + "/next", "");
      if (next.status == 204) break;
      EXPECT_EQ(next.status, 200) << next.body;
      json n = Body(next);
      EXPECT_FALSE(n["task"].contains("golden")) << "a test task looks like any task";
      auto sub = who.Post(
          base + "/answers",
          json{{"task_id", n["task"]["id"]}, {"result", Choice(answer(n["task"]["data"]["text"]))}}
              .dump());
      EXPECT_EQ(sub.status, 201) << sub.body;
      last = Body(sub);
      if (last["state"] != "open") break;
      EXPECT_EQ(last["score"], nullptr) << "no feedback before the test is finished";
    }
    return last;
  }

  json Status(const Client& who, int64_t project) {
    auto res = who.Get(P(project, "/training/status"));
    EXPECT_EQ(res.status, 200) << res.body;
    return Body(res);
  }

  // The caller's next real task, labeled `value`; the next reply's status.
  int LabelNext(const Client& who, int64_t project, const std::string& value,
                int64_t* task = nullptr) {
    auto next = who.Post(P(project, "/next"), "");
    if (next.status != 200) return next.status;
    json n = Body(next);
    if (task != nullptr) *task = n["task"]["id"].get<int64_t>();
    auto sub = who.Post(T(n["task"]["id"].get<int64_t>(), "/annotations"),
                        json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}}.dump());
    EXPECT_EQ(sub.status, 201) << sub.body;
    return 200;
  }
};

// The golden answers of these tests: "text 0" positive, "text 1" negative.
std::string Right(const std::string& text) { return text == "text 0" ? "positive" : "negative"; }
std::string Wrong(const std::string&) { return "neutral"; }

TEST_P(TrainingApiTest, NoRealTaskBeforePassingAndRealTasksAfter) {
  int64_t mia_id = 0, ann_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  const int64_t project = NewProject(mia, json::object());
  std::vector<int64_t> tasks = Import(mia, project, 4);
  AddMember(mia, project, ann_id);
  MakeGolden(mia, tasks[0], "positive");
  MakeGolden(mia, tasks[1], "negative");
  const int64_t set = GoldenSet(mia, project, {tasks[0], tasks[1]});

  // Without a test required, nothing gates.
  json before = Status(ann, project);
  EXPECT_EQ(before["required"], false);
  EXPECT_EQ(before["qualified"], true);
  EXPECT_EQ(before["can_start"], false);
  EXPECT_EQ(ann.Post(P(project, "/training/qualification/attempts"), "").status, 409);

  Settings(mia, project, {{"qualification_set_id", set}, {"qualification_pass_mark", 0.75}});
  EXPECT_EQ(Body(mia.Get(P(project)))["settings"]["qualification_set_id"], set);

  auto gated = ann.Post(P(project, "/next"), "");
  EXPECT_EQ(gated.status, 403) << gated.body;
  EXPECT_EQ(Body(gated)["error"]["code"], "not_qualified");
  json s = Status(ann, project);
  EXPECT_EQ(s["required"], true);
  EXPECT_EQ(s["qualified"], false);
  EXPECT_EQ(s["reason"], "not_qualified");
  EXPECT_EQ(s["can_start"], true);
  // Managers write the answers and are not gated.
  AddMember(mia, project, mia_id);
  EXPECT_EQ(mia.Post(P(project, "/next"), "").status, 200);

  // Half right is below the pass mark of 0.75... but here all right passes.
  auto start = ann.Post(P(project, "/training/qualification/attempts"), "");
  ASSERT_EQ(start.status, 201) << start.body;
  json attempt = Body(start);
  EXPECT_EQ(attempt["state"], "open");
  EXPECT_EQ(attempt["tasks"], 2);
  EXPECT_EQ(attempt["pass_mark"], 0.75);
  // Starting again resumes the open attempt.
  auto resumed = ann.Post(P(project, "/training/qualification/attempts"), "");
  EXPECT_EQ(resumed.status, 200);
  EXPECT_EQ(Body(resumed)["id"], attempt["id"]);
  EXPECT_EQ(ann.Post(P(project, "/next"), "").status, 403) << "not while testing";

  json done = TakeTest(ann, project, Right);
  EXPECT_EQ(done["state"], "passed");
  EXPECT_EQ(done["score"], 1.0);
  EXPECT_EQ(done["answered"], 2);
  EXPECT_EQ(Status(ann, project)["qualified"], true);

  // Real tasks now, never the test's golden tasks through the real queue
  // (golden_rate is 0), and nothing of the test counts as a label.
  int64_t got = 0;
  ASSERT_EQ(LabelNext(ann, project, "neutral", &got), 200);
  EXPECT_TRUE(got == tasks[2] || got == tasks[3]) << got;
  EXPECT_EQ(Body(ann.Get(T(tasks[0], "/annotations")))["items"].size(), 0u);
  EXPECT_EQ(ann.Post(P(project, "/training/qualification/attempts"), "").status, 409)
      << "qualified already";
}

TEST_P(TrainingApiTest, FailingWaitsForTheRetryOrMorePractice) {
  int64_t mia_id = 0, ann_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  const int64_t project = NewProject(mia, json::object());
  std::vector<int64_t> tasks = Import(mia, project, 3);
  AddMember(mia, project, ann_id);
  MakeGolden(mia, tasks[0], "positive");
  MakeGolden(mia, tasks[1], "negative");
  const int64_t set = GoldenSet(mia, project, {tasks[0], tasks[1]});
  Settings(mia, project,
           {{"qualification_set_id", set},
            {"qualification_retry_seconds", 86400},
            {"qualification_retry_practice", 2}});
  auto practice =
      Put(mia, P(project, "/training/practice-set"),
          {{"items",
            {{{"task_id", tasks[0]}, {"explanation", "upbeat words"}, {"anchor", "tone"}},
             {{"task_id", tasks[1]}}}}});
  ASSERT_EQ(practice.status, 200) << practice.body;

  json failed = TakeTest(ann, project, Wrong);
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_EQ(failed["score"], 0.0);
  json s = Status(ann, project);
  EXPECT_EQ(s["qualified"], false);
  EXPECT_EQ(s["can_start"], false);
  EXPECT_TRUE(s["retry_at"].is_string()) << s.dump();
  EXPECT_EQ(s["practice_to_retry"], 2);
  EXPECT_EQ(s["tests"]["taken"], 1);
  auto early = ann.Post(P(project, "/training/qualification/attempts"), "");
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_NE(Body(early)["error"]["message"].get<std::string>().find("2 more practice"),
            std::string::npos);
  EXPECT_EQ(ann.Post(P(project, "/next"), "").status, 403);

  // Two practice answers allow the retry before the day is out.
  for (int i = 0; i < 2; ++i) {
    auto next = ann.Post(P(project, "/training/practice/next"), "");
    ASSERT_EQ(next.status, 200) << next.body;
    json n = Body(next);
    EXPECT_EQ(n["item"]["total"], 2);
    const int64_t task = n["task"]["id"].get<int64_t>();
    EXPECT_EQ(task, tasks[i]) << "the practice set's order";
    auto fb = ann.Post(P(project, "/training/practice/answers"),
                       json{{"task_id", task}, {"result", Choice("positive")}}.dump());
    ASSERT_EQ(fb.status, 201) << fb.body;
    json f = Body(fb);
    EXPECT_EQ(f["answer"]["result"], Choice("positive"));
    EXPECT_EQ(f["expert"]["result"], Choice(i == 0 ? "positive" : "negative"));
    EXPECT_EQ(f["answer"]["correct"], i == 0);
    EXPECT_EQ(f["controls"][0]["control"], "sentiment");
    EXPECT_EQ(f["explanation"], i == 0 ? "upbeat words" : "");
    EXPECT_EQ(f["instructions"]["anchor"], i == 0 ? json("tone") : json());
  }
  EXPECT_EQ(Status(ann, project)["can_start"], true);
  json passed = TakeTest(ann, project, Right);
  EXPECT_EQ(passed["state"], "passed");
  s = Status(ann, project);
  EXPECT_EQ(s["tests"]["taken"], 2);
  EXPECT_EQ(s["tests"]["best_score"], 1.0);
  EXPECT_EQ(s["practice"]["done"], 2);
  EXPECT_EQ(s["practice"]["correct"], 1);
  EXPECT_EQ(s["attempts"].size(), 2u);
  EXPECT_EQ(LabelNext(ann, project, "neutral"), 200);
}

TEST_P(TrainingApiTest, NewInstructionsVersionRequiresRequalification) {
  int64_t mia_id = 0, ann_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  const int64_t project = NewProject(mia, json::object());
  std::vector<int64_t> tasks = Import(mia, project, 5);
  AddMember(mia, project, ann_id);
  MakeGolden(mia, tasks[0], "positive");
  MakeGolden(mia, tasks[1], "negative");
  const int64_t set = GoldenSet(mia, project, {tasks[0], tasks[1]});
  ASSERT_EQ(Put(mia, P(project, "/instructions"), {{"body", "# v1"}}).status, 201);
  Settings(mia, project,
           {{"qualification_set_id", set},
            {"qualification_retry_seconds", 0},
            {"requalify_on_new_instructions", true}});

  // The test wants the instructions read first.
  auto unread = ann.Post(P(project, "/training/qualification/attempts"), "");
  EXPECT_EQ(unread.status, 409);
  EXPECT_EQ(Body(unread)["error"]["code"], "instructions_not_acknowledged");
  ASSERT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", 1}}.dump()).status, 204);
  EXPECT_EQ(TakeTest(ann, project, Right)["instructions_version"], 1);
  EXPECT_EQ(LabelNext(ann, project, "neutral"), 200);

  ASSERT_EQ(Put(mia, P(project, "/instructions"), {{"body", "# v2"}}).status, 201);
  ASSERT_EQ(ann.Post(P(project, "/instructions/ack"), json{{"version", 2}}.dump()).status, 204);
  auto gated = ann.Post(P(project, "/next"), "");
  EXPECT_EQ(gated.status, 403);
  EXPECT_EQ(Body(gated)["error"]["code"], "not_qualified");
  json s = Status(ann, project);
  EXPECT_EQ(s["reason"], "requalify");
  EXPECT_EQ(s["passed_version"], 1);
  EXPECT_EQ(s["can_start"], true);
  EXPECT_EQ(TakeTest(ann, project, Right)["state"], "passed");
  EXPECT_EQ(LabelNext(ann, project, "neutral"), 200);

  // Without requalify_on_new_instructions, a minimum version does the same.
  Settings(mia, project,
           {{"requalify_on_new_instructions", false}, {"qualification_min_version", 3}});
  EXPECT_EQ(ann.Post(P(project, "/next"), "").status, 403);
  Settings(mia, project, {{"qualification_min_version", 2}});
  EXPECT_EQ(LabelNext(ann, project, "neutral"), 200);
}

TEST_P(TrainingApiTest, LowGoldenAccuracyPausesWithWebhookAndTheWrongTasks) {
  TestReceiver receiver([](const ReceivedRequest&) { return 204; });
  int64_t mia_id = 0, ann_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  const int64_t project = NewProject(mia, {{"golden_rate", 1}});
  std::vector<int64_t> tasks = Import(mia, project, 6);
  AddMember(mia, project, ann_id);
  for (int i = 0; i < 3; ++i) MakeGolden(mia, tasks[i], "positive");
  auto hook =
      mia.Post(P(project, "/webhooks"),
               json{{"url", receiver.Url("/events")}, {"events", {"labeler.paused"}}}.dump());
  ASSERT_EQ(hook.status, 201) << hook.body;
  Settings(mia, project, {{"pause_threshold", 0.5}, {"pause_window", 2}});

  // One right, then one wrong: 50 % is not below the threshold.
  int64_t first = 0, second = 0, third = 0;
  ASSERT_EQ(LabelNext(ann, project, "positive", &first), 200);
  ASSERT_EQ(LabelNext(ann, project, "negative", &second), 200);
  EXPECT_EQ(Status(ann, project)["paused"], false);
  // A second wrong one makes the window of two 0 % correct.
  ASSERT_EQ(LabelNext(ann, project, "neutral", &third), 200);
  EXPECT_EQ(json({first, second, third}), json({tasks[0], tasks[1], tasks[2]}))
      << "golden tasks first at rate 1";
  auto paused = ann.Post(P(project, "/next"), "");
  EXPECT_EQ(paused.status, 403) << paused.body;
  EXPECT_EQ(Body(paused)["error"]["code"], "labeler_paused");
  json s = Status(ann, project);
  EXPECT_EQ(s["paused"], true);
  EXPECT_EQ(s["reason"], "paused");
  EXPECT_EQ(s["pause"]["wrong_tasks"].size(), 2u);

  ASSERT_EQ(receiver.WaitForRequests(1, kDeliveryWait), 1u);
  ReceivedRequest r = receiver.Requests()[0];
  EXPECT_EQ(r.Header("x-plumb-event"), "labeler.paused");
  json event = json::parse(r.body);
  EXPECT_EQ(event["type"], "labeler.paused");
  EXPECT_EQ(event["project_id"], project);
  EXPECT_EQ(event["data"]["user_id"], ann_id);
  EXPECT_EQ(event["data"]["username"], "ann");
  EXPECT_EQ(event["data"]["accuracy"], 0.0);
  EXPECT_EQ(event["data"]["window"], 2);
  json wrong = json::array();
  for (const json& w : event["data"]["wrong_tasks"]) wrong.push_back(w["task_id"]);
  EXPECT_EQ(wrong, json({tasks[2], tasks[1]})) << "newest first";

  // The overview tells the manager; only a manager can resume them.
  json overview = Body(mia.Get(P(project, "/training/overview")));
  ASSERT_EQ(overview["labelers"].size(), 1u) << overview.dump();
  EXPECT_EQ(overview["labelers"][0]["paused"], true);
  EXPECT_EQ(overview["labelers"][0]["pause"]["wrong_tasks"].size(), 2u);
  const std::string unpause =
      P(project, "/training/labelers/" + std::to_string(ann_id) + "/unpause");
  EXPECT_EQ(ann.Post(unpause, "").status, 403);
  auto resumed = mia.Post(unpause, "");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  EXPECT_EQ(Body(resumed)["paused"], false);
  EXPECT_EQ(mia.Post(unpause, "").status, 409) << "not paused any more";
  json audit = Body(mia.Get("/api/v1/audit?project_id=" + std::to_string(project)));
  bool logged = false;
  for (const json& e : audit["items"]) logged = logged || e["action"] == "training.unpause";
  EXPECT_TRUE(logged) << audit.dump();
  // A fresh window: the old wrong grades do not pause them again.
  EXPECT_EQ(LabelNext(ann, project, "neutral"), 200);
  EXPECT_EQ(Status(ann, project)["paused"], false);
}

TEST_P(TrainingApiTest, OverviewPerLabelerAndPerWorkforce) {
  int64_t mia_id = 0, ann_id = 0, bob_id = 0, cy_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  Client cy = NewUser("cy", "annotator", &cy_id);
  const int64_t project = NewProject(mia, json::object());
  std::vector<int64_t> tasks = Import(mia, project, 3);
  AddMember(mia, project, cy_id);
  auto wf = mia.Post("/api/v1/workforces", json{{"name", "Acme"}, {"kind", "vendor"}}.dump());
  ASSERT_EQ(wf.status, 201) << wf.body;
  const int64_t acme = Body(wf)["id"].get<int64_t>();
  for (int64_t u : {ann_id, bob_id}) {
    ASSERT_EQ(mia.Post("/api/v1/workforces/" + std::to_string(acme) + "/members",
                       json{{"user_id", u}}.dump())
                  .status,
              204);
  }
  ASSERT_EQ(mia.Post(P(project, "/workforces"), json{{"workforce_id", acme}}.dump()).status, 204);
  MakeGolden(mia, tasks[0], "positive");
  MakeGolden(mia, tasks[1], "negative");
  const int64_t set = GoldenSet(mia, project, {tasks[0], tasks[1]});
  Settings(mia, project, {{"qualification_set_id", set}});
  ASSERT_EQ(Put(mia, P(project, "/training/practice-set"),
                {{"items", {{{"task_id", tasks[0]}}, {{"task_id", tasks[1]}}}}})
                .status,
            200);
  for (const char* value : {"positive", "positive"}) {
    auto next = ann.Post(P(project, "/training/practice/next"), "");
    ASSERT_EQ(next.status, 200);
    ASSERT_EQ(
        ann.Post(P(project, "/training/practice/answers"),
                 json{{"task_id", Body(next)["task"]["id"]}, {"result", Choice(value)}}.dump())
            .status,
        201);
  }
  EXPECT_EQ(TakeTest(ann, project, Right)["state"], "passed");
  EXPECT_EQ(TakeTest(bob, project, Wrong)["state"], "failed");

  auto res = mia.Get(P(project, "/training/overview"));
  ASSERT_EQ(res.status, 200) << res.body;
  json o = Body(res);
  ASSERT_EQ(o["labelers"].size(), 3u) << o.dump();
  std::map<std::string, json> by_name;
  for (const json& l : o["labelers"]) by_name[l["username"].get<std::string>()] = l;
  EXPECT_EQ(by_name["ann"]["practice_done"], 2);
  EXPECT_EQ(by_name["ann"]["practice_accuracy"], 0.5);
  EXPECT_EQ(by_name["ann"]["tests_taken"], 1);
  EXPECT_EQ(by_name["ann"]["best_score"], 1.0);
  EXPECT_EQ(by_name["ann"]["qualified"], true);
  EXPECT_GE(by_name["ann"]["time_to_qualify_ms"].get<int64_t>(), 0);
  EXPECT_EQ(by_name["ann"]["workforce_ids"], json({acme}));
  EXPECT_EQ(by_name["bob"]["tests_taken"], 1);
  EXPECT_EQ(by_name["bob"]["last_score"], 0.0);
  EXPECT_EQ(by_name["bob"]["qualified"], false);
  EXPECT_EQ(by_name["bob"]["time_to_qualify_ms"], nullptr);
  EXPECT_EQ(by_name["cy"]["tests_taken"], 0) << "a member who has not started yet";
  EXPECT_EQ(by_name["cy"]["qualified"], false);
  ASSERT_EQ(o["workforces"].size(), 1u);
  json w = o["workforces"][0];
  EXPECT_EQ(w["name"], "Acme");
  EXPECT_EQ(w["labelers"], 2);
  EXPECT_EQ(w["practiced"], 1);
  EXPECT_EQ(w["practice_done"], 2);
  EXPECT_EQ(w["tests_taken"], 2);
  EXPECT_EQ(w["qualified"], 1);
  EXPECT_EQ(w["paused"], 0);
  EXPECT_EQ(w["mean_best_score"], 0.5);
  EXPECT_TRUE(w["mean_time_to_qualify_ms"].is_number());

  // Annotators see their own standing only.
  EXPECT_EQ(ann.Get(P(project, "/training/overview")).status, 403);
  EXPECT_EQ(ann.Get(P(project, "/training/status?user_id=" + std::to_string(bob_id))).status, 403);
  json bob_seen = Body(mia.Get(P(project, "/training/status?user_id=" + std::to_string(bob_id))));
  EXPECT_EQ(bob_seen["user_id"], bob_id);
  EXPECT_EQ(bob_seen["tests"]["taken"], 1);
}

TEST_P(TrainingApiTest, PracticeAnswersNeverReachConsensusOrExports) {
  int64_t mia_id = 0, ann_id = 0, bob_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  const int64_t project = NewProject(mia, {{"overlap", 2}});
  std::vector<int64_t> tasks = Import(mia, project, 1);
  AddMember(mia, project, ann_id);
  AddMember(mia, project, bob_id);
  MakeGolden(mia, tasks[0], "positive");
  ASSERT_EQ(
      Put(mia, P(project, "/training/practice-set"), {{"items", {{{"task_id", tasks[0]}}}}}).status,
      200);
  for (const Client* who : {&ann, &bob}) {
    ASSERT_EQ(who->Post(P(project, "/training/practice/answers"),
                        json{{"task_id", tasks[0]}, {"result", Choice("negative")}}.dump())
                  .status,
              201);
  }
  // The task turns ordinary and is labeled for real: only the real labels count.
  ASSERT_EQ(Send(mia, "DELETE", T(tasks[0], "/golden"), "").status, 204);
  EXPECT_EQ(State(tasks[0]), "new");
  ASSERT_EQ(LabelNext(ann, project, "positive"), 200);
  EXPECT_EQ(State(tasks[0]), "annotating") << "one of two counting annotations";
  ASSERT_EQ(LabelNext(bob, project, "positive"), 200);
  EXPECT_EQ(State(tasks[0]), "done");
  json task = Body(mia.Get(T(tasks[0])));
  EXPECT_EQ(task["annotations"].size(), 2u) << task.dump();
  auto exported = mia.Get(P(project, "/export?format=json"));
  ASSERT_EQ(exported.status, 200);
  json records = Body(exported);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["annotations"].size(), 2u) << records.dump();
  EXPECT_EQ(records[0]["label"], (json{{"sentiment", "positive"}})) << records.dump();
  EXPECT_EQ(exported.body.find("negative"), std::string::npos)
      << "no practice answer in the export";
}

TEST_P(TrainingApiTest, RolesAndBadInputChangeNothing) {
  int64_t mia_id = 0, ann_id = 0, out_id = 0;
  Client mia = NewUser("mia", "manager", &mia_id);
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client out = NewUser("out", "annotator", &out_id);
  const int64_t project = NewProject(mia, json::object());
  const int64_t other = NewProject(mia, json::object(), "Other");
  std::vector<int64_t> tasks = Import(mia, project, 3);
  std::vector<int64_t> other_tasks = Import(mia, other, 1);
  AddMember(mia, project, ann_id);
  MakeGolden(mia, tasks[0], "positive");
  MakeGolden(mia, other_tasks[0], "positive");
  const int64_t other_set = GoldenSet(mia, other, {other_tasks[0]});

  EXPECT_EQ(Put(ann, P(project, "/training/settings"), {{"pause_threshold", 0.5}}).status, 403);
  EXPECT_EQ(Put(ann, P(project, "/training/practice-set"), {{"items", json::array()}}).status, 403);
  EXPECT_EQ(ann.Get(P(project, "/training/practice-set")).status, 403);
  EXPECT_EQ(out.Get(P(project, "/training/status")).status, 403) << "not a member";
  EXPECT_EQ(out.Post(P(project, "/training/practice/next"), "").status, 403);

  struct Case {
    const char* name;
    std::string target;
    json body;
    int status;
    const char* field;
  };
  const std::string settings = P(project, "/training/settings");
  const std::string practice = P(project, "/training/practice-set");
  const Case cases[] = {
      {"threshold", settings, {{"pause_threshold", 2}}, 400, "pause_threshold"},
      {"window", settings, {{"pause_window", 0}}, 400, "pause_window"},
      {"unknown key", settings, {{"overlap", 3}}, 400, "overlap"},
      {"other project's set",
       settings,
       {{"qualification_set_id", other_set}},
       400,
       "qualification_set_id"},
      {"mark", settings, {{"qualification_pass_mark", "high"}}, 400, "qualification_pass_mark"},
      {"items", practice, {{"items", 3}}, 400, "items"},
      {"not golden",
       practice,
       {{"items", {{{"task_id", tasks[0]}}, {{"task_id", tasks[1]}}}}},
       400,
       "items[1].task_id"},
      {"twice",
       practice,
       {{"items", {{{"task_id", tasks[0]}}, {{"task_id", tasks[0]}}}}},
       400,
       "items[1].task_id"},
      {"other project's task",
       practice,
       {{"items", {{{"task_id", other_tasks[0]}}}}},
       400,
       "items[0].task_id"},
      {"anchor",
       practice,
       {{"items", {{{"task_id", tasks[0]}, {"anchor", "<a>"}}}}},
       400,
       "items[0].anchor"},
  };
  for (const Case& c : cases) {
    auto res = Put(mia, c.target, c.body);
    EXPECT_EQ(res.status, c.status) << c.name << ": " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], c.field) << c.name;
  }
  EXPECT_EQ(Body(mia.Get(settings))["pause_threshold"], 0) << "nothing stored";
  EXPECT_EQ(Body(mia.Get(settings))["qualification_set_id"], 0);
  EXPECT_TRUE(Body(mia.Get(practice))["items"].empty());
  auto patched =
      mia.Patch(P(project), json{{"settings", {{"qualification_set_id", other_set}}}}.dump());
  EXPECT_EQ(patched.status, 400);
  EXPECT_EQ(Body(patched)["error"]["field"], "settings.qualification_set_id");

  ASSERT_EQ(Put(mia, practice, {{"items", {{{"task_id", tasks[0]}}}}}).status, 200);
  const std::string answers = P(project, "/training/practice/answers");
  auto not_in_set =
      ann.Post(answers, json{{"task_id", tasks[1]}, {"result", Choice("positive")}}.dump());
  EXPECT_EQ(not_in_set.status, 400);
  EXPECT_EQ(Body(not_in_set)["error"]["field"], "task_id");
  auto bad_result =
      ann.Post(answers, json{{"task_id", tasks[0]}, {"result", Choice("happy")}}.dump());
  EXPECT_EQ(bad_result.status, 422) << bad_result.body;
  EXPECT_EQ(ann.Post(answers, json{{"result", Choice("positive")}}.dump()).status, 400);
  EXPECT_EQ(Status(ann, project)["practice"]["done"], 0) << "nothing stored";

  // Attempts are their labeler's.
  MakeGolden(mia, tasks[1], "negative");
  const int64_t set = GoldenSet(mia, project, {tasks[0], tasks[1]});
  Settings(mia, project, {{"qualification_set_id", set}});
  auto start = ann.Post(P(project, "/training/qualification/attempts"), "");
  ASSERT_EQ(start.status, 201);
  const std::string base = P(project, "/training/qualification/attempts/" +
                                          std::to_string(Body(start)["id"].get<int64_t>()));
  AddMember(mia, project, out_id);
  EXPECT_EQ(out.Post(base + "/next", "").status, 404);
  EXPECT_EQ(out.Get(base).status, 404);
  EXPECT_EQ(mia.Get(base).status, 200) << "managers see every attempt";
  auto answer = [&](int64_t task) {
    return ann.Post(base + "/answers",
                    json{{"task_id", task}, {"result", Choice("positive")}}.dump());
  };
  EXPECT_EQ(answer(tasks[2]).status, 400) << "not in the test";
  EXPECT_EQ(answer(tasks[0]).status, 201);
  EXPECT_EQ(answer(tasks[0]).status, 409) << "answered already";
  EXPECT_EQ(Body(ann.Get(base))["answered"], 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, TrainingApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
